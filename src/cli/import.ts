import { createRequire } from 'node:module';
import type { Command } from 'commander';
import type * as CsvParse from 'csv-parse/sync';
import { InvitationBatchRowSchema } from '../invitations/invitation.schemas.ts';
import { targetShapeProblem } from '../invitations/invitation.target.ts';
import {
  ApiError,
  type Client,
  ConnectionError,
  EXIT,
  formatProblem,
  type Problem,
  readInputFile,
  seg,
  UsageError,
  withClient,
} from './client.ts';
import { type ApiOptions, apiCommand, listOption } from './command.ts';
import { grantOption } from './invitation-options.ts';

const CHUNK = 100;
const COLUMNS = ['email', 'role', 'message', 'resource_id', 'actions', 'grants', 'locale'];
/** With --skip-existing these mean "already done": the person has a pending invitation or joined. */
const EXISTING = new Set(['invitation_already_pending', 'already_member']);

interface Row {
  /** 1-based position among the rows to invite (CSV data rows after the emails given as arguments). */
  n: number;
  /** Where the row came from, for messages: `line 7` of the CSV or `argument 2`. */
  where: string;
  input: Record<string, unknown>;
}

type Outcome = 'invited' | 'skipped' | 'failed' | 'unknown' | 'not sent';

/** The CSV's records with their line numbers; a malformed file is a usage error naming the line. */
function readCsv(path: string): { line: number; record: Record<string, string> }[] {
  const text = readInputFile(path);
  // Loaded here, not at start: every CLI command (and `rsvp serve`) would carry it otherwise.
  const { CsvError, parse } = createRequire(import.meta.url)('csv-parse/sync') as typeof CsvParse;
  try {
    const parsed = parse(text, {
      bom: true,
      columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as { info: { lines: number }; record: Record<string, string> }[];
    return parsed.map(({ info, record }) => ({ line: info.lines, record }));
  } catch (error) {
    if (error instanceof CsvError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
}

function rowFromRecord(record: Record<string, string>, defaults: ApiOptions): Record<string, unknown> {
  const input: Record<string, unknown> = { email: record.email ?? '' };
  const role = record.role || (defaults.role as string | undefined);
  if (role) input.role = role;
  if (record.message) input.message = record.message;
  const resource = record.resource_id || (defaults.resource as string | undefined);
  if (resource) input.resource_id = resource;
  const actions = record.actions ? listOption(record.actions.replaceAll(';', ',')) : defaults.actions;
  if (actions) input.actions = actions;
  const grants = record.grants ? grantsCell(record.grants) : resource ? undefined : defaults.grant;
  if (grants) input.grants = grants;
  if (record.locale) input.locale = record.locale;
  return input;
}

/**
 * A CSV `grants` cell: `res_1=read;write res_2=read`, entries apart by spaces, actions by `;` or
 * `,`. A malformed entry stays in the row as written, for the row check to name it.
 */
function grantsCell(cell: string): unknown[] {
  return cell
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => {
      try {
        return grantOption(entry.replaceAll(';', ','))[0];
      } catch {
        return entry;
      }
    });
}

/** Every row, checked against the API's own row schema before anything is sent. */
function collectRows(emails: string[], options: ApiOptions): Row[] {
  const rows: Row[] = emails.map((email, i) => ({
    n: i + 1,
    where: `argument ${i + 1}`,
    input: rowFromRecord({ email }, options),
  }));
  if (options.csv) {
    const records = readCsv(options.csv as string);
    const header = Object.keys(records[0]?.record ?? {});
    if (records.length && !header.includes('email'))
      throw new UsageError(`${options.csv}: no "email" column (columns: ${COLUMNS.join(', ')})`);
    const ignored = header.filter((name) => !COLUMNS.includes(name));
    if (ignored.length) process.stderr.write(`rsvp: warning: ignoring column(s) ${ignored.join(', ')}\n`);
    for (const { line, record } of records)
      rows.push({ n: rows.length + 1, where: `line ${line}`, input: rowFromRecord(record, options) });
  }
  if (rows.length === 0) throw new UsageError('nothing to invite: give emails or --csv <file>');
  const problems: string[] = [];
  for (const row of rows) {
    if (!row.input.email) {
      problems.push(`row ${row.n} (${row.where}): no email`);
      continue;
    }
    const malformed = ((row.input.grants as unknown[] | undefined) ?? []).filter(
      (g) => typeof g === 'string',
    );
    for (const entry of malformed)
      problems.push(`row ${row.n} (${row.where}): grants: "${entry}" is not resource_id=action;action`);
    if (malformed.length) continue;
    const checked = InvitationBatchRowSchema.safeParse(row.input);
    if (!checked.success) {
      for (const issue of checked.error.issues)
        problems.push(`row ${row.n} (${row.where}): ${issue.path.join('.') || 'row'}: ${issue.message}`);
      continue;
    }
    const shape = targetShapeProblem(checked.data);
    if (shape) problems.push(`row ${row.n} (${row.where}): ${shape}`);
  }
  if (problems.length)
    throw new UsageError(
      `${problems.join('\n')}\n${problems.length} problem(s) in ${rows.length} rows; nothing was sent`,
    );
  return rows;
}

interface BatchResult {
  index: number;
  status: number;
  invitation?: { id: string; accept_url?: string };
  error?: Problem;
}

class Report {
  readonly counts: Record<Outcome, number> = { invited: 0, skipped: 0, failed: 0, unknown: 0, 'not sent': 0 };
  existing = 0;
  private readonly skipExisting: boolean;
  constructor(skipExisting: boolean) {
    this.skipExisting = skipExisting;
  }

  row(row: Row, outcome: Outcome, detail: string) {
    this.counts[outcome]++;
    process.stdout.write(`${row.n}\t${row.input.email as string}\t${outcome}\t${detail}\n`);
  }

  result(row: Row, result: BatchResult) {
    if (result.invitation) {
      const link = result.invitation.accept_url ? `\t${result.invitation.accept_url}` : '';
      return this.row(row, 'invited', `${result.invitation.id}${link}`);
    }
    const code = result.error?.code ?? '';
    const detail = formatProblem(result.status, result.error ?? null, '').replaceAll('\n', '; ');
    if (EXISTING.has(code)) {
      if (this.skipExisting) return this.row(row, 'skipped', detail);
      this.existing++;
    }
    this.row(row, 'failed', detail);
  }

  summary(total: number) {
    const parts = (Object.entries(this.counts) as [Outcome, number][])
      .filter(([outcome, count]) => count > 0 || outcome === 'invited' || outcome === 'failed')
      .map(([outcome, count]) => `${count} ${outcome}`);
    process.stderr.write(`${total} rows: ${parts.join(', ')}\n`);
    if (this.existing)
      process.stderr.write(
        `${this.existing} were already invited or members: rerun with --skip-existing to skip them\n`,
      );
  }
}

function progress(done: number, total: number) {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

async function sendBatch(client: Client, org: string, rows: Row[], sendEmail: boolean) {
  const body = await client.call<{ results: BatchResult[] }>(
    'POST',
    `/v1/organizations/${seg(org)}/invitations/batch`,
    { invitations: rows.map((row) => row.input), send_email: sendEmail },
  );
  return body.results;
}

/** Sends one chunk and reports each of its rows as its answer arrives, adding it to `done`. */
async function sendChunk(client: Client, chunk: Row[], options: ApiOptions, report: Report, done: Set<Row>) {
  const org = options.org as string;
  const sendEmail = options.email !== false;
  try {
    for (const result of await sendBatch(client, org, chunk, sendEmail)) {
      report.result(chunk[result.index]!, result);
      done.add(chunk[result.index]!);
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400 || chunk.length === 1) throw error;
    for (const row of chunk) {
      try {
        report.result(row, (await sendBatch(client, org, [row], sendEmail))[0]!);
      } catch (single) {
        if (!(single instanceof ApiError) || single.status !== 400) throw single;
        report.result(row, { index: 0, status: 400, error: single.problem });
      }
      done.add(row);
    }
  }
}

/**
 * Sends the rows in chunks and reports each. A chunk the server refuses as a whole with 400 is
 * sent again row by row, so one bad row fails alone. Any other refusal (authentication, unknown
 * organization, outage) or a lost connection stops the import: the rows whose answer never came
 * are `unknown` (a rerun with --skip-existing settles them), later ones `not sent`.
 */
async function sendAll(client: Client, rows: Row[], options: ApiOptions, report: Report): Promise<number> {
  const done = new Set<Row>();
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    try {
      await sendChunk(client, chunk, options, report, done);
    } catch (error) {
      const lost = !(error instanceof ApiError);
      process.stderr.write(`rsvp: ${error instanceof Error ? error.message : String(error)}\n`);
      for (const row of chunk)
        if (!done.has(row)) report.row(row, lost ? 'unknown' : 'not sent', lost ? 'no answer' : 'stopped');
      for (const row of rows.slice(start + CHUNK)) report.row(row, 'not sent', 'stopped');
      return error instanceof ConnectionError ? EXIT.connection : EXIT.api;
    }
    progress(Math.min(start + CHUNK, rows.length), rows.length);
  }
  return report.counts.failed ? EXIT.api : EXIT.ok;
}

export function importCommand(program: Command) {
  apiCommand(
    program,
    'invite [emails...]',
    'invite one or more emails, or every row of a CSV file, into an organization',
    [
      'rsvp invite --org acme grace@example.com lin@example.com --role admin',
      'rsvp invite --org acme --csv people.csv',
      'rsvp invite --org acme kim@example.com --role member --grant res_1=read,write',
      'rsvp invite --org acme --csv people.csv --skip-existing   # rerun after a partial import',
    ],
  )
    .requiredOption('--org <org>', 'organization id or slug')
    .option(
      '--csv <file>',
      `a CSV file with a header row; columns: ${COLUMNS.join(', ')} (only email is required)`,
    )
    .option('--role <role>', 'role for rows that name none')
    .option('--resource <id>', 'invite onto this resource (rows may name their own resource_id)')
    .option(
      '--actions <list>',
      'resource invitations: comma-separated actions for rows that name none',
      listOption,
    )
    .option(
      '--grant <resource=actions>',
      'also grant actions on a resource, with the role, to rows that name no resource or grants (repeatable)',
      grantOption,
    )
    .option(
      '--skip-existing',
      'report people already invited (pending) or already members as skipped, not failed',
    )
    .option('--no-email', 'send no emails: print each accept link once, to deliver yourself')
    .addHelpText(
      'after',
      `
A row's grants make it a combined invitation (its role plus resources); in the CSV's grants
column, entries are apart by spaces and actions by ";": res_1=read;write res_2=read
Every row is checked before anything is sent: if any row is invalid, each problem is printed
with its row number and nothing is sent (exit 2). Then one line per row goes to stdout:
  <row>\\t<email>\\t<invited|skipped|failed|unknown|not sent>\\t<invitation id or error>
and the totals to stderr. Exit 0 when every row was invited or skipped, 1 when a row failed or
the server stopped the import, 3 when the connection was lost (rerun with --skip-existing).`,
    )
    .action(async (emails: string[], _options: unknown, command: Command) => {
      const options = command.opts<ApiOptions>();
      if (options.grant && options.resource)
        throw new UsageError(
          '--grant and --resource exclude each other: a combined invitation is onto the organization',
        );
      // Every row is checked before connecting: a bad file opens neither the database nor the network.
      const rows = collectRows(emails, options);
      const report = new Report(Boolean(options.skipExisting));
      const code = await withClient(options, (client) => sendAll(client, rows, options, report));
      report.summary(rows.length);
      process.exitCode = code;
    });
}
