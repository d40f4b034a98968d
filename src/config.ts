import { z } from 'zod';
import type { AbuseLimits, RateLimit } from './lib/rate-limiter.ts';

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** Wire formats served on listeners of their own (`RSVP_DIALECTS=tiledb:8081`). */
export const DIALECT_NAMES = ['tiledb', 'trieve', 'cvat', 'confluent'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** `<limit>/<window seconds>`, e.g. `10/600` for ten per ten minutes. */
function rule(fallback: string) {
  return z
    .string()
    .regex(/^\d+\/\d+$/, 'expected limit/window-seconds, such as 10/600')
    .default(fallback)
    .transform((value): RateLimit => {
      const [limit, seconds] = value.split('/').map(Number) as [number, number];
      return { limit, windowMs: seconds * 1000 };
    });
}

export const DATABASE_URL_FORMS =
  'postgres://user:password@host:5432/database, postgresql://…, sqlite:path/to/file.db, or a file path such as ./data/rsvp.db';

/** PostgreSQL URLs, `sqlite:` URLs, and paths that look like files; anything else is a mistake. */
function isDatabaseUrl(value: string): boolean {
  if (/^postgres(ql)?:\/\//.test(value)) return URL.canParse(value);
  if (value.startsWith('sqlite:')) return value.length > 'sqlite:'.length;
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !/^[a-z]:[\\/]/i.test(value)) return false;
  return /[\\/]/.test(value) || /\.(db|sqlite3?)$/i.test(value);
}

/** A URL for messages: its scheme and host, never its credentials. */
export function redactUrl(value: string): string {
  return `"${value.replace(/\/\/[^@/]*@/, '//…@')}"`;
}

/** The host part of a URL: IPv6 addresses in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

const PORT_HINT = 'expected a port number from 0 to 65535';
/** Never echoed in an error message. */
const SECRET_VARIABLES = new Set(['RSVP_SECRET', 'METRICS_TOKEN']);

/** `NAME="value"` for an error message: URLs without their credentials, secrets without their value. */
function shown(name: string, env: Record<string, string | undefined>): string {
  const value = env[name];
  if (value === undefined || SECRET_VARIABLES.has(name)) return name;
  return `${name}=${name.endsWith('_URL') ? redactUrl(value) : JSON.stringify(value.slice(0, 100))}`;
}

const ConfigSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce
    .number({ error: PORT_HINT })
    .int(PORT_HINT)
    .min(0, PORT_HINT)
    .max(65535, PORT_HINT)
    .default(8080),
  DATABASE_URL: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value !== undefined && !isDatabaseUrl(value)) {
        ctx.addIssue({
          code: 'custom',
          message: `not a database rsvp can use; accepted: ${DATABASE_URL_FORMS}`,
        });
      }
    }),
  DATA_DIR: z.string().default('./data'),
  RSVP_PUBLIC_URL: z
    .url('expected the absolute URL invitees open, such as https://rsvp.example.com')
    .optional(),
  RSVP_SECRET: z
    .string()
    .min(32, 'RSVP_SECRET must be at least 32 characters; generate one with `openssl rand -base64 48`')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().optional(),
  OAUTH_ISSUER: z.string().optional(),
  OAUTH_AUDIENCE: z.string().optional(),
  OAUTH_JWKS_URL: z
    .url('expected an absolute URL, such as https://idp.example.com/.well-known/jwks.json')
    .optional(),
  OAUTH_ALGORITHMS: csv.default(['RS256', 'ES256']),
  OAUTH_EMAIL_CLAIM: z.string().default('email'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 1024 * 1024),
  DB_POOL_SIZE: z.coerce.number().int().positive().default(10),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(3_000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  SMTP_URL: z
    .string()
    .regex(
      /^smtps?:\/\//,
      'expected smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (implicit TLS)',
    )
    .optional(),
  SMTP_REQUIRE_TLS: flag.default(false),
  SMTP_TLS_REJECT_UNAUTHORIZED: flag.default(true),
  SMTP_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  MAIL_FROM: z.string().max(320).optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected redis://host:6379 or rediss://… (TLS)')
    .optional(),
  APP_URL_ALLOWED_ORIGINS: csv.default([]),
  WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: flag.default(false),
  DNS_SERVERS: csv.default([]).superRefine((servers, ctx) => {
    for (const server of servers) {
      if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\])(:\d{1,5})?$|^[0-9a-f:]+$/i.test(server)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${server}": expected an IP address, optionally with :port`,
        });
      }
    }
  }),
  WORKERS: flag.default(true),
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  RSVP_DIALECTS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const out: { name: DialectName; port: number }[] = [];
      for (const item of value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const [name, port] = item.split(':');
        if (!(DIALECT_NAMES as readonly string[]).includes(name!) || !/^\d{1,5}$/.test(port ?? '')) {
          ctx.addIssue({
            code: 'custom',
            message: `"${item}": expected name:port with name one of ${DIALECT_NAMES.join(', ')}`,
          });
          continue;
        }
        out.push({ name: name as DialectName, port: Number(port) });
      }
      return out;
    }),
  RSVP_DIALECT_PUBLIC_URLS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const out = new Map<string, string>();
      for (const item of value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const at = item.indexOf('=');
        const [name, url] = [item.slice(0, at), item.slice(at + 1)];
        if (at < 0 || !(DIALECT_NAMES as readonly string[]).includes(name) || !isHttpUrl(url)) {
          ctx.addIssue({ code: 'custom', message: `"${item}": expected name=http(s)://host[:port][/path]` });
          continue;
        }
        out.set(name, url.replace(/\/$/, ''));
      }
      return out;
    }),
  OUTBOX_POLL_MS: z.coerce.number().int().positive().default(500),
  OUTBOX_LEASE_MS: z.coerce.number().int().min(1000).default(120_000),
  SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(30_000),
  RATE_LIMIT_PER_RECIPIENT: rule('10/600'),
  RATE_LIMIT_PER_RECIPIENT_SHARED: rule('30/600'),
  RATE_LIMIT_PER_INVITER: rule('5000/86400'),
  RATE_LIMIT_RESENDS: rule('5/3600'),
  RATE_LIMIT_TEST_EMAILS: rule('5/3600'),
  RATE_LIMIT_PER_CLIENT_ADDRESS: rule('300/60'),
  RATE_LIMIT_SIGN_IN: rule('10/900'),
  RATE_LIMIT_SIGN_IN_PER_ADDRESS: rule('100/900'),
  RATE_LIMIT_PER_PRINCIPAL: rule('1000/60'),
  RATE_LIMIT_JOINS: rule('20/3600'),
  RATE_LIMIT_DOMAIN_CHECKS: rule('10/600'),
  RATE_LIMIT_TEMPLATE_RENDERS: rule('30/60'),
  RATE_LIMIT_SIGN_UPS: rule('3/3600'),
  RATE_LIMIT_SIGN_UPS_PER_ADDRESS: rule('20/3600'),
});

/** Variables read elsewhere: the CLI's server address, key and timeout, the test suite's settings. */
const READ_ELSEWHERE = new Set([
  'RSVP_URL',
  'RSVP_API_KEY',
  'RSVP_TIMEOUT',
  'RSVP_TEST_DATABASE',
  'RSVP_TEST_PG_URL',
  'RSVP_TEST_JSON',
]);
/** Prefixes of rsvp's variables: a name with one of them that rsvp does not read is likely a typo. */
const OWN_PREFIXES =
  /^(RSVP|SMTP|DATABASE|DB|OAUTH|REDIS|MAIL|RATE_LIMIT|OUTBOX|SWEEP|METRICS|WEBHOOK|APP_URL|BODY_LIMIT)_/;

/** One warning per variable that looks like rsvp's but is not read, with the closest real name. */
export function unknownVariables(env: Record<string, string | undefined>): string[] {
  const known = Object.keys(ConfigSchema.shape);
  return Object.keys(env)
    .filter((name) => OWN_PREFIXES.test(name) && !READ_ELSEWHERE.has(name) && !known.includes(name))
    .sort()
    .map((name) => {
      const [closest] = known
        .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
        .sort((a, b) => a.distance - b.distance);
      const hint =
        closest && closest.distance <= Math.max(2, Math.floor(name.length / 4))
          ? `; did you mean ${closest.candidate}?`
          : '';
      return `${name} is set but rsvp does not read it (ignored)${hint}`;
    });
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

export interface ExternalJwtConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
  algorithms: string[];
  emailClaim: string;
}

export interface Config {
  host: string;
  port: number;
  /** `postgres://…`, or a SQLite file path. */
  databaseUrl: string;
  publicUrl: string;
  secret: string | undefined;
  logLevel: string;
  trustProxy: string | undefined;
  externalJwt: ExternalJwtConfig | undefined;
  bodyLimit: number;
  dbPoolSize: number;
  /** PostgreSQL: longest wait for a connection (opening one, or a free one from the pool). */
  dbConnectTimeoutMs: number;
  /** PostgreSQL: longest a statement may run (and wait for a lock). */
  dbStatementTimeoutMs: number;
  smtp: { url: string; requireTls: boolean; rejectUnauthorized: boolean; timeoutMs: number } | undefined;
  mailFrom: string;
  redisUrl: string | undefined;
  allowedAppOrigins: string[];
  allowPrivateWebhooks: boolean;
  /** Resolvers asked for domain verification's TXT records; empty: the system's. */
  dnsServers: string[];
  /** Each dialect listener with the public URL its absolute links are built from (never Host). */
  dialects: { name: DialectName; port: number; publicUrl: string }[];
  metricsToken: string | undefined;
  /** Run the outbox worker and the sweeper in this process. */
  workers: boolean;
  outboxPollMs: number;
  outboxLeaseMs: number;
  sweepIntervalMs: number;
  abuseLimits: AbuseLimits;
  /** Variables that look like rsvp's but are not read: logged at start. */
  warnings: string[];
}

/** A configuration the service cannot start with; one line per problem, each naming the variable and the fix. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.map((problem) => `invalid configuration: ${problem}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment; throws one error listing every problem, so a bad deploy says why at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${shown(String(issue.path[0]), env)}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const jwtParts = [e.OAUTH_ISSUER, e.OAUTH_AUDIENCE, e.OAUTH_JWKS_URL];
  if (jwtParts.some(Boolean) && !jwtParts.every(Boolean)) {
    throw new ConfigError(['OAUTH_ISSUER, OAUTH_AUDIENCE and OAUTH_JWKS_URL must be set together']);
  }
  const forbidden = e.OAUTH_ALGORITHMS.filter((alg) => !/^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(alg));
  if (forbidden.length > 0) {
    throw new ConfigError([`OAUTH_ALGORITHMS: asymmetric algorithms only, not ${forbidden.join(', ')}`]);
  }
  const listenHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST;
  const publicUrl = (e.RSVP_PUBLIC_URL ?? `http://${urlHost(listenHost)}:${e.PORT}`).replace(/\/$/, '');
  return {
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL ?? `${e.DATA_DIR.replace(/\/$/, '')}/rsvp.db`,
    publicUrl,
    secret: e.RSVP_SECRET,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    externalJwt:
      e.OAUTH_ISSUER && e.OAUTH_AUDIENCE && e.OAUTH_JWKS_URL
        ? {
            issuer: e.OAUTH_ISSUER,
            audience: e.OAUTH_AUDIENCE,
            jwksUrl: e.OAUTH_JWKS_URL,
            algorithms: e.OAUTH_ALGORITHMS,
            emailClaim: e.OAUTH_EMAIL_CLAIM,
          }
        : undefined,
    bodyLimit: e.BODY_LIMIT_BYTES,
    dbPoolSize: e.DB_POOL_SIZE,
    dbConnectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    smtp: e.SMTP_URL
      ? {
          url: e.SMTP_URL,
          requireTls: e.SMTP_REQUIRE_TLS,
          rejectUnauthorized: e.SMTP_TLS_REJECT_UNAUTHORIZED,
          timeoutMs: e.SMTP_TIMEOUT_MS,
        }
      : undefined,
    mailFrom:
      e.MAIL_FROM ?? `rsvp <no-reply@${new URL(publicUrl).hostname.replace(/^\[.*\]$/, 'localhost')}>`,
    redisUrl: e.REDIS_URL,
    allowedAppOrigins: e.APP_URL_ALLOWED_ORIGINS.map((origin) => origin.replace(/\/$/, '')),
    allowPrivateWebhooks: e.WEBHOOK_ALLOW_PRIVATE_DESTINATIONS,
    dnsServers: e.DNS_SERVERS,
    workers: e.WORKERS,
    dialects: e.RSVP_DIALECTS.map((dialect) => ({
      ...dialect,
      publicUrl: e.RSVP_DIALECT_PUBLIC_URLS.get(dialect.name) ?? withPort(publicUrl, dialect.port),
    })),
    metricsToken: e.METRICS_TOKEN,
    outboxPollMs: e.OUTBOX_POLL_MS,
    outboxLeaseMs: e.OUTBOX_LEASE_MS,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    abuseLimits: {
      perRecipient: e.RATE_LIMIT_PER_RECIPIENT,
      perRecipientShared: e.RATE_LIMIT_PER_RECIPIENT_SHARED,
      perInviter: e.RATE_LIMIT_PER_INVITER,
      perInvitationResend: e.RATE_LIMIT_RESENDS,
      perOrganizationTestEmail: e.RATE_LIMIT_TEST_EMAILS,
      perClientAddress: e.RATE_LIMIT_PER_CLIENT_ADDRESS,
      signIn: e.RATE_LIMIT_SIGN_IN,
      signInPerAddress: e.RATE_LIMIT_SIGN_IN_PER_ADDRESS,
      perPrincipal: e.RATE_LIMIT_PER_PRINCIPAL,
      perJoiner: e.RATE_LIMIT_JOINS,
      perDomainCheck: e.RATE_LIMIT_DOMAIN_CHECKS,
      perOrganizationTemplateRender: e.RATE_LIMIT_TEMPLATE_RENDERS,
      signUpPerEmail: e.RATE_LIMIT_SIGN_UPS,
      signUpPerClient: e.RATE_LIMIT_SIGN_UPS_PER_ADDRESS,
    },
    warnings: unknownVariables(env),
  };
}

/** The main public URL's scheme and host on another port: where a dialect listener is reached by default. */
function withPort(publicUrl: string, port: number): string {
  const url = new URL(publicUrl);
  url.port = String(port);
  return url.origin;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}
