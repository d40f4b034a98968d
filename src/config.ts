import { z } from 'zod';

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

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
  return {
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL ?? `${e.DATA_DIR.replace(/\/$/, '')}/rsvp.db`,
    publicUrl: (
      e.RSVP_PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`
    ).replace(/\/$/, ''),
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
  };
}
