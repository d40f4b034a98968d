/**
 * Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535
 * for the widest table (invitations, about 30 columns).
 */
const ROWS_PER_INSERT = 500;

/** Writes `rows` in slices small enough for one statement each, in order. */
export async function inChunks<T>(
  rows: readonly T[],
  write: (slice: T[]) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await write(rows.slice(i, i + ROWS_PER_INSERT));
}
