import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, type Transaction } from 'kysely';
import { PostgresJSDialect } from 'kysely-postgres-js';
import postgres from 'postgres';
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
}

export function openDatabase({ url, poolSize = 10 }: DatabaseOptions): Database {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const sql = postgres(url, {
      max: poolSize,
      onnotice: () => {},
      // Timestamps come back as Date; counts (int8) as numbers, which they always fit.
      types: { bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: Number } },
      connection: { application_name: 'rsvp' },
    });
    const db = new Kysely<DB>({ dialect: new PostgresJSDialect({ postgres: sql }) });
    return { engine: 'postgres', db, close: () => db.destroy() };
  }
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
