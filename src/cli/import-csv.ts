import { createRequire } from 'node:module';
import type * as CsvParse from 'csv-parse/sync';
import { readInputBytes, UsageError } from './client.ts';

/** One data record of the CSV: its fields, or why it could not be read. */
export interface CsvEntry {
  /** The file line where the record ends (1-based; the header is line 1). */
  line: number;
  fields: string[];
  /** A structural problem (bad quoting, invalid UTF-8): the record cannot be trusted. */
  problem?: string;
}

export interface CsvFile {
  header: string[];
  entries: CsvEntry[];
}

const DELIMITERS = [',', ';', '\t'] as const;

/** The delimiter the header line uses most, outside quotes: `,`, `;` or tab (default `,`). */
export function detectDelimiter(text: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of text) {
    if (char === '\n' && !quoted) break;
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  let best = ',';
  for (const [delimiter, count] of counts) if (count > counts.get(best)!) best = delimiter;
  return best;
}

/** The text, and the 1-based lines that are not valid UTF-8 (decoded with U+FFFD there). */
function decode(bytes: Buffer): { text: string; badLines: number[] } {
  const text = bytes.toString('utf8');
  const fatal = new TextDecoder('utf-8', { fatal: true });
  try {
    fatal.decode(bytes);
    return { text, badLines: [] };
  } catch {
    // Some line is not UTF-8: find which, below.
  }
  const badLines: number[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    try {
      fatal.decode(bytes.subarray(start, stop));
    } catch {
      badLines.push(line);
    }
    start = stop + 1;
  }
  return { text, badLines };
}

/**
 * Every record of a CSV file, each with its line: a record the parser cannot read (an unclosed
 * quote) or with invalid UTF-8 is kept with its problem, so the rows after it are still checked.
 */
export function readCsv(path: string): CsvFile {
  const { text, badLines } = decode(readInputBytes(path));
  // Loaded here, not at start: every CLI command (and `rsvp serve`) would carry it otherwise.
  const { parse } = createRequire(import.meta.url)('csv-parse/sync') as typeof CsvParse;
  const records: CsvEntry[] = [];
  parse(text, {
    bom: true,
    delimiter: detectDelimiter(text.replace(/^\uFEFF/, '')),
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
    skip_records_with_error: true,
    on_skip: (error: (Error & { lines?: number }) | undefined) => {
      const line = error?.lines ?? (records.at(-1)?.line ?? 0) + 1;
      records.push({ line, fields: [], problem: error?.message ?? 'unreadable record' });
    },
    on_record: (fields: string[], info: { lines: number }) => {
      records.push({ line: info.lines, fields });
      return null;
    },
  });
  for (const bad of badLines) {
    const entry = records.find((record) => record.line >= bad);
    if (entry && !entry.problem) entry.problem = `line ${bad} is not valid UTF-8`;
  }
  const [head, ...entries] = records;
  if (!head) throw new UsageError(`${path} is empty: it has no header and no rows`);
  if (head.problem) throw new UsageError(`${path}: the header (line ${head.line}): ${head.problem}`);
  if (entries.length === 0) throw new UsageError(`${path} has no rows, only a header`);
  return { header: head.fields.map((name) => name.trim().toLowerCase()), entries };
}
