import { type Compilable, type CompiledQuery, createQueryId } from 'kysely';
import type { Executor } from './database.ts';

/** Stands for the i-th argument while the query is compiled; never reaches the database. */
const MARK = '\u0000rsvp-argument-';

interface Shape {
  sql: string;
  query: CompiledQuery['query'];
  /** Per parameter: the argument it takes, or a value the builder fixed. */
  slots: ({ argument: number } | { value: unknown })[];
}

/**
 * A query whose SQL is built once per dialect and then run with each call's values. Building
 * SQL with Kysely's query builder costs more than SQLite's own lookup on the hot paths (a GET
 * spent ~12 % of its CPU building three small queries), and a statement with the same text
 * reuses the driver's prepared statement.
 *
 * `build` is called once, with markers in place of the arguments: each argument must be used
 * as one bound value (`where('id', '=', id)`), never to choose a column, a table or the number
 * of values (an `in` list). A shape that depends on an argument needs one prepared query per
 * shape. A call with an argument the compiled query did not bind is refused.
 */
export function prepared<Args extends unknown[], Row>(
  build: (db: Executor, ...args: Args) => Compilable<Row>,
): (db: Executor, ...args: Args) => Promise<Row[]> {
  // Keyed by the dialect's adapter class: the database and its transactions compile alike.
  const shapes = new Map<unknown, Shape>();
  const shapeFor = (db: Executor, arity: number): Shape => {
    const dialect = db.getExecutor().adapter.constructor;
    let shape = shapes.get(dialect);
    if (!shape) {
      const markers = Array.from({ length: arity }, (_, i) => `${MARK}${i}`) as Args;
      const compiled = build(db, ...markers).compile();
      const slots = compiled.parameters.map((value) =>
        typeof value === 'string' && value.startsWith(MARK)
          ? { argument: Number(value.slice(MARK.length)) }
          : { value },
      );
      const bound = new Set(slots.flatMap((slot) => ('argument' in slot ? [slot.argument] : [])));
      if (bound.size !== arity) throw new Error(`prepared query binds ${bound.size} of ${arity} arguments`);
      shape = { sql: compiled.sql, query: compiled.query, slots };
      shapes.set(dialect, shape);
    }
    return shape;
  };
  return async (db, ...args) => {
    const shape = shapeFor(db, args.length);
    const parameters = shape.slots.map((slot) => ('argument' in slot ? args[slot.argument] : slot.value));
    const query: CompiledQuery<Row> = {
      sql: shape.sql,
      query: shape.query,
      parameters,
      queryId: createQueryId(),
    };
    return (await db.executeQuery(query)).rows;
  };
}
