import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { ENGINE } from './helpers.ts';

// The SQLite driver builds row objects itself from node:sqlite's arrays (bench/RESULTS.md,
// change 21): rows must read as node:sqlite's own objects did, whatever the columns are named.

let database: Database;
beforeAll(() => {
  database = openDatabase({ url: ':memory:' });
});
afterAll(() => database.close());

describe.skipIf(ENGINE !== 'sqlite')('SQLite rows', () => {
  it('names every column as the statement does, values and types unchanged', async () => {
    const { rows } = await sql<
      Record<string, unknown>
    >`select 1 as "a b", 'x"y' as "quo""te", null as n, 2.5 as r, x'00ff' as blob`.execute(database.db);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(Object.keys(row!)).toEqual(['a b', 'quo"te', 'n', 'r', 'blob']);
    expect(row).toMatchObject({ 'a b': 1, 'quo"te': 'x"y', n: null, r: 2.5 });
    expect([...(row!.blob as Uint8Array)]).toEqual([0, 255]);
  });

  it('keeps a column named like a property of every object as the row’s own value', async () => {
    const { rows } = await sql<
      Record<string, unknown>
    >`select 1 as "__proto__", 2 as "constructor", 3 as "toString"`.execute(database.db);
    const [row] = rows;
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe(1);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(row!.constructor).toBe(2);
    expect(row!.toString).toBe(3);
  });

  it('lets the last of two same-named columns win, as node:sqlite does', async () => {
    const { rows } = await sql<Record<string, unknown>>`select 1 as a, 2 as a`.execute(database.db);
    expect(rows).toEqual([{ a: 2 }]);
  });

  it('returns every row of a statement, and none for a write', async () => {
    await sql`create table t (id integer primary key, v text)`.execute(database.db);
    const written = await sql`insert into t (v) values ('one'), ('two'), ('three')`.execute(database.db);
    expect(written.rows).toEqual([]);
    expect(written.numAffectedRows).toBe(3n);
    const { rows } = await sql<{ id: number; v: string }>`select id, v from t order by id`.execute(
      database.db,
    );
    expect(rows).toEqual([
      { id: 1, v: 'one' },
      { id: 2, v: 'two' },
      { id: 3, v: 'three' },
    ]);
    const returned = await sql<{ id: number }>`insert into t (v) values ('four') returning id`.execute(
      database.db,
    );
    expect(returned.rows).toEqual([{ id: 4 }]);
  });
});
