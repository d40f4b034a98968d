import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type TransactionSettings,
} from 'kysely';

const STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely dialect over Node's built-in `node:sqlite`. One synchronous connection guarded by a
 * mutex: transactions never interleave. Statements are prepared once per SQL text and cached,
 * because preparing per query costs more than running it.
 */
export class NodeSqliteDialect implements Dialect {
  readonly #database: DatabaseSync;
  constructor(database: DatabaseSync) {
    this.#database = database;
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new NodeSqliteDriver(this.#database);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

class NodeSqliteDriver implements Driver {
  readonly #connection: NodeSqliteConnection;
  #lock: Promise<void> = Promise.resolve();
  constructor(database: DatabaseSync) {
    this.#connection = new NodeSqliteConnection(database);
  }
  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const previous = this.#lock;
    this.#lock = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    this.#connection.release = release;
    return this.#connection;
  }
  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings) {
    // IMMEDIATE takes the write lock up front, so a read-then-write transaction cannot fail
    // half way with SQLITE_BUSY when another process writes.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async savepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${name}`));
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${name}`));
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release ${name}`));
  }
  async releaseConnection(connection: DatabaseConnection) {
    (connection as NodeSqliteConnection).release?.();
  }
  async destroy() {
    this.#connection.close();
  }
}

function toSqliteValue(value: unknown): SQLInputValue {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SQLInputValue;
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly #database: DatabaseSync;
  readonly #statements = new Map<string, { statement: StatementSync; returnsRows: boolean }>();
  release: (() => void) | undefined;
  constructor(database: DatabaseSync) {
    this.#database = database;
  }

  #prepare(sql: string) {
    let cached = this.#statements.get(sql);
    if (cached) {
      // Refresh recency so the cache evicts the least recently used statement.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const statement = this.#database.prepare(sql);
    cached = { statement, returnsRows: statement.columns().length > 0 };
    this.#statements.set(sql, cached);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.#statements.keys().next().value as string;
      this.#statements.delete(oldest);
    }
    return cached;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const { statement, returnsRows } = this.#prepare(sql);
    const values = parameters.map(toSqliteValue);
    if (returnsRows) {
      const rows = statement.all(...values) as R[];
      return { rows, numAffectedRows: BigInt(rows.length) };
    }
    const result = statement.run(...values);
    return {
      rows: [],
      numAffectedRows: BigInt(result.changes),
      insertId: BigInt(result.lastInsertRowid),
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not used; Kysely requires the method.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on node:sqlite');
  }

  close() {
    this.#statements.clear();
    this.#database.close();
  }
}
