import type { Command } from 'commander';
import {
  ApiError,
  type Client,
  ConnectionError,
  EXIT,
  formatProblem,
  type Problem,
  seg,
  UsageError,
  withClient,
} from './client.ts';
import { type ApiOptions, apiCommand, listOption } from './command.ts';
import { COLUMNS, collectRows, type Row, refuseBadRows, roleProblems } from './import-rows.ts';
import { grantOption } from './invitation-options.ts';

const CHUNK = 100;
/** With --skip-existing these mean "already done": the person has a pending invitation or joined. */
const EXISTING = new Set(['invitation_already_pending', 'already_member']);

type Outcome = 'invited' | 'skipped' | 'failed' | 'unknown' | 'not sent';

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
Every row is checked before anything is sent — its address (as the server checks it), its role
against the organization's roles, the same address twice in the file, the CSV's structure and
UTF-8 — and if any row is bad, each problem is printed as "row N (line L): reason" and nothing
is sent (exit 2). The CSV may be comma-, semicolon- or tab-separated (read from the header). Then one line per row goes to stdout:
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
      const { rows, problems } = collectRows(emails, options);
      const report = new Report(Boolean(options.skipExisting));
      let sent = false;
      try {
        const code = await withClient(options, async (client) => {
          // Roles are checked against the organization's catalog, read first; then, if any row
          // is bad, every problem is listed and nothing is sent.
          refuseBadRows([...problems, ...(await roleProblems(client, rows, options))], rows);
          sent = true;
          return sendAll(client, rows, options, report);
        });
        process.exitCode = code;
      } catch (error) {
        // Without a connection, the rows checked on their own are still all reported.
        if (!sent && problems.length && !(error instanceof UsageError)) {
          const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
          refuseBadRows(problems, rows, `\nroles were not checked: ${why}`);
        }
        throw error;
      } finally {
        if (sent) report.summary(rows.length);
      }
    });
}
