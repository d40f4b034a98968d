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

type RowBuilder = (values: unknown[]) => Record<string, unknown>;

/**
 * Builds row objects from node:sqlite's arrays with one literal per statement. node:sqlite's
 * own row objects are in V8's slow dictionary mode (35 properties for an invitation), so every
 * read of a column was a hash lookup: a page of 50 invitations took 306 µs from statement to
 * records that way, 153 µs through arrays and this literal (bench/RESULTS.md, change 21).
 * Column names come from our own SQL; each is written as a JSON string key, and a name the
 * literal would treat specially (`__proto__`) takes the generic path.
 */
function rowBuilder(names: string[]): RowBuilder {
  if (names.includes('__proto__')) {
    return (values) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++)
        Object.defineProperty(row, names[i]!, {
          value: values[i],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return row;
    };
  }
  const fields = names.map((name, i) => `${JSON.stringify(name)}: values[${i}]`).join(', ');
  return new Function('values', `return { ${fields} };`) as RowBuilder;
}

interface Prepared {
  statement: StatementSync;
  /** Set for statements that return rows (their results come as arrays). */
  buildRow: RowBuilder | undefined;
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly #database: DatabaseSync;
  readonly #statements = new Map<string, Prepared>();
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
    const columns = statement.columns();
    if (columns.length > 0) statement.setReturnArrays(true);
    cached = {
      statement,
      buildRow: columns.length > 0 ? rowBuilder(columns.map((column) => column.name)) : undefined,
    };
    this.#statements.set(sql, cached);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.#statements.keys().next().value as string;
      this.#statements.delete(oldest);
    }
    return cached;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const { statement, buildRow } = this.#prepare(sql);
    const values = parameters.map(toSqliteValue);
    if (buildRow) {
      const arrays = statement.all(...values) as unknown as unknown[][];
      const rows = new Array<R>(arrays.length);
      for (let i = 0; i < arrays.length; i++) rows[i] = buildRow(arrays[i]!) as R;
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
