import { z } from 'zod';
import type { AbuseLimits, RateLimit } from './http/rate-limiter.ts';

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
    .regex(/^\d+\/\d+$/, 'limit/window-seconds, such as 10/600')
    .default(fallback)
    .transform((value): RateLimit => {
      const [limit, seconds] = value.split('/').map(Number) as [number, number];
      return { limit, windowMs: seconds * 1000 };
    });
}

const ConfigSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().default('./data'),
  RSVP_PUBLIC_URL: z.url().optional(),
  RSVP_SECRET: z
    .string()
    .min(32, 'RSVP_SECRET must be at least 32 characters; generate one with `openssl rand -base64 48`')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().optional(),
  OAUTH_ISSUER: z.string().optional(),
  OAUTH_AUDIENCE: z.string().optional(),
  OAUTH_JWKS_URL: z.url().optional(),
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
    .regex(/^smtps?:\/\//, 'smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (implicit TLS)')
    .optional(),
  SMTP_REQUIRE_TLS: flag.default(false),
  SMTP_TLS_REJECT_UNAUTHORIZED: flag.default(true),
  SMTP_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  MAIL_FROM: z.string().max(320).optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'redis://host:6379')
    .optional(),
  APP_URL_ALLOWED_ORIGINS: csv.default([]),
  WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: flag.default(false),
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
  RATE_LIMIT_PER_CLIENT_ADDRESS: rule('300/60'),
  RATE_LIMIT_SIGN_IN: rule('10/900'),
  RATE_LIMIT_SIGN_IN_PER_ADDRESS: rule('100/900'),
  RATE_LIMIT_PER_PRINCIPAL: rule('1000/60'),
});

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
  /** Each dialect listener with the public URL its absolute links are built from (never Host). */
  dialects: { name: DialectName; port: number; publicUrl: string }[];
  metricsToken: string | undefined;
  /** Run the outbox worker and the sweeper in this process. */
  workers: boolean;
  outboxPollMs: number;
  outboxLeaseMs: number;
  sweepIntervalMs: number;
  abuseLimits: AbuseLimits;
}

/** Parses the environment; throws one error listing every problem, so a bad deploy says why at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const jwtParts = [e.OAUTH_ISSUER, e.OAUTH_AUDIENCE, e.OAUTH_JWKS_URL];
  if (jwtParts.some(Boolean) && !jwtParts.every(Boolean)) {
    throw new Error(
      'invalid configuration:\n  OAUTH_ISSUER, OAUTH_AUDIENCE and OAUTH_JWKS_URL must be set together',
    );
  }
  const forbidden = e.OAUTH_ALGORITHMS.filter((alg) => !/^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(alg));
  if (forbidden.length > 0) {
    throw new Error(
      `invalid configuration:\n  OAUTH_ALGORITHMS: asymmetric algorithms only, not ${forbidden.join(', ')}`,
    );
  }
  const publicUrl = (
    e.RSVP_PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`
  ).replace(/\/$/, '');
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
    mailFrom: e.MAIL_FROM ?? `rsvp <no-reply@${new URL(publicUrl).hostname}>`,
    redisUrl: e.REDIS_URL,
    allowedAppOrigins: e.APP_URL_ALLOWED_ORIGINS.map((origin) => origin.replace(/\/$/, '')),
    allowPrivateWebhooks: e.WEBHOOK_ALLOW_PRIVATE_DESTINATIONS,
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
      perClientAddress: e.RATE_LIMIT_PER_CLIENT_ADDRESS,
      signIn: e.RATE_LIMIT_SIGN_IN,
      signInPerAddress: e.RATE_LIMIT_SIGN_IN_PER_ADDRESS,
      perPrincipal: e.RATE_LIMIT_PER_PRINCIPAL,
    },
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
