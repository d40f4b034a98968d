import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type PG from 'pg';
import { fromPostgresUtc } from '../lib/clock.ts';
import type { DB } from './schema.ts';
import { NodeSqliteDialect } from './sqlite-dialect.ts';

export type Engine = 'sqlite' | 'postgres';
/** Either the database or a transaction: repositories accept both. */
export type Executor = Kysely<DB> | Transaction<DB>;

export interface Database {
  readonly engine: Engine;
  readonly db: Kysely<DB>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…` for PostgreSQL; otherwise a SQLite file path or `:memory:`. */
  url: string;
  poolSize?: number;
  /** Longest wait for a connection: opening one, or a free one from a full pool. */
  connectTimeoutMs?: number;
  /** Longest a statement may run on the server; the client gives up a little later. */
  statementTimeoutMs?: number;
  /** Told about connections that fail while idle in the pool (the pool replaces them). */
  onIdleError?: (error: Error) => void;
}

export const DATABASE_TIMEOUTS = { connectTimeoutMs: 3_000, statementTimeoutMs: 10_000 } as const;

/**
 * pg, loaded on first use (a SQLite instance never loads it), with its client made to close
 * its connection when a query outlives the read timeout: pg would otherwise hand the
 * connection back to the pool with the stuck query still queued on it.
 */
let loaded: { pg: typeof PG; Client: typeof PG.Client; types: PG.CustomTypesConfig } | undefined;
function loadPg() {
  if (loaded) return loaded;
  const pg = createRequire(import.meta.url)('pg') as typeof PG;
  class DeadlineClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query overloads; Kysely uses (text, values).
    override query(...args: any[]): any {
      // biome-ignore lint/suspicious/noExplicitAny: see above.
      const result = (super.query as (...a: any[]) => any)(...args);
      if (result && typeof result.catch === 'function') {
        return result.catch((error: Error) => {
          if (error?.message === 'Query read timeout') {
            (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
          }
          throw error;
        });
      }
      return result;
    }
  }
  // Counts (int8) as numbers, which they always fit. Timestamps in a UTC session go through
  // `fromPostgresUtc`, which keeps their ISO text for the reply (pg's parser, a regex per value,
  // was 5 % of a PostgreSQL list page); any other text through pg's parser.
  const pgTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text');
  const parseTimestamptz = (text: string) => fromPostgresUtc(text) ?? pgTimestamptz(text);
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === pg.types.builtins.INT8
        ? Number
        : oid === pg.types.builtins.TIMESTAMPTZ && format !== 'binary'
          ? parseTimestamptz
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  loaded = { pg, Client: DeadlineClient, types };
  return loaded;
}

function openPostgres(url: string, options: DatabaseOptions): Database {
  const connectTimeoutMs = options.connectTimeoutMs ?? DATABASE_TIMEOUTS.connectTimeoutMs;
  const statementTimeoutMs = options.statementTimeoutMs ?? DATABASE_TIMEOUTS.statementTimeoutMs;
  const { pg, Client, types } = loadPg();
  const pool = new pg.Pool({
    connectionString: url,
    Client,
    max: options.poolSize ?? 10,
    application_name: 'rsvp',
    types,
    // pg-pool applies this to opening a connection and to waiting for a free one.
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    lock_timeout: statementTimeoutMs,
    // The server's answer comes first; this catches a server that never answers at all.
    query_timeout: statementTimeoutMs + 2_000,
    idle_in_transaction_session_timeout: Math.max(statementTimeoutMs * 3, 30_000),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // A connection that dies while idle (server restart, failover) is reported here and dropped
  // by the pool; without a listener Node would treat it as an uncaught error and exit.
  pool.on('error', (error) => options.onIdleError?.(error));
  // The same for a connection that dies while checked out but between queries (inside a
  // transaction, say): pg emits 'error' on the client, which only has the pool's listener
  // while idle. The client is then marked unusable, and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { engine: 'postgres', db, close: () => db.destroy() };
}

export function openDatabase(options: DatabaseOptions): Database {
  const { url } = options;
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new DatabaseSync(path);
  sqlite.exec('pragma journal_mode = wal');
  sqlite.exec('pragma synchronous = normal');
  sqlite.exec('pragma foreign_keys = on');
  sqlite.exec('pragma busy_timeout = 5000');
  const db = new Kysely<DB>({ dialect: new NodeSqliteDialect(sqlite) });
  return { engine: 'sqlite', db, close: () => db.destroy() };
}

export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown; errcode?: unknown }).code;
  const errcode = (error as { errcode?: unknown }).errcode;
  // PostgreSQL 23505; SQLite SQLITE_CONSTRAINT_UNIQUE (2067) and PRIMARYKEY (1555).
  return code === '23505' || errcode === 2067 || errcode === 1555;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Postgres connection has been discarded',
  'Client was closed and is not queryable',
];

/**
 * Text PostgreSQL refuses to store or compare: a NUL character (22021) or one with no
 * equivalent in the database's encoding (22P05). It came with the request (an id, a credential,
 * a field), so it is the caller's error, not the service's.
 */
export function isUnstorableText(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return code === '22021' || code === '22P05';
}

/**
 * Whether an error means the database (or the network to it) is unavailable for now, rather
 * than that the request was wrong: refused or dropped connections, connect and statement
 * timeouts, a server shutting down or starting, and SQLite's busy timeout.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { code, errcode } = e as { code?: unknown; errcode?: unknown };
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code)) return true;
      // 08: connection exception; 57P01-03: shutdown, crash, cannot connect now; 57014: statement
      // timeout; 55P03: lock timeout; 53300: too many connections.
      if (/^08|^57P0[123]$|^57014$|^55P03$|^53300$/.test(code)) return true;
    }
    // SQLITE_BUSY and SQLITE_LOCKED after busy_timeout.
    if (errcode === 5 || errcode === 6) return true;
    if (UNAVAILABLE_MESSAGES.some((message) => e instanceof Error && e.message.startsWith(message)))
      return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  }
  return false;
}
