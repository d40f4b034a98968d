import { InvitationBatchRowSchema } from '../invitations/invitation.schemas.ts';
import { targetShapeProblem } from '../invitations/invitation.target.ts';
import { canonicalEmail, checkEmail, describeEmailProblem, printableEmail } from '../lib/email.ts';
import { type Client, seg, UsageError } from './client.ts';
import type { ApiOptions } from './command.ts';
import { listOption } from './command.ts';
import { readCsv } from './import-csv.ts';
import { grantOption } from './invitation-options.ts';

export const COLUMNS = ['email', 'role', 'message', 'resource_id', 'actions', 'grants', 'locale'];

export interface Row {
  /** 1-based position among the rows to invite (CSV data rows after the emails given as arguments). */
  n: number;
  /** Where the row came from, for messages: `line 7` of the CSV or `argument 2`. */
  where: string;
  input: Record<string, unknown>;
  /** Why the CSV record could not be read at all (bad quoting, extra fields, invalid UTF-8). */
  unreadable?: string;
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

function csvRows(path: string, first: number, options: ApiOptions): Row[] {
  const { header, entries } = readCsv(path);
  if (!header.includes('email'))
    throw new UsageError(
      `${path}: no "email" column (its columns: ${header.filter(Boolean).join(', ') || 'none'}; rsvp reads ${COLUMNS.join(', ')})`,
    );
  const ignored = header.filter((name) => name && !COLUMNS.includes(name));
  if (ignored.length) process.stderr.write(`rsvp: warning: ignoring column(s) ${ignored.join(', ')}\n`);
  return entries.map(({ line, fields, problem }, i) => {
    const record = Object.fromEntries(header.map((name, column) => [name, fields[column] ?? '']));
    const extra = fields.length > header.length;
    const unreadable =
      problem ?? (extra ? `${fields.length} fields, but the header has ${header.length} columns` : undefined);
    const row: Row = { n: first + i, where: `line ${line}`, input: rowFromRecord(record, options) };
    if (unreadable) row.unreadable = unreadable;
    return row;
  });
}

/** What is wrong with one row on its own: its address, grants, fields and shape. */
function rowProblems(row: Row): string[] {
  if (row.unreadable) return [row.unreadable];
  const email = row.input.email as string;
  if (!email) return ['no email'];
  const emailProblem = checkEmail(email);
  if (emailProblem) return [`email "${printableEmail(email)}": ${describeEmailProblem(email, emailProblem)}`];
  const malformed = ((row.input.grants as unknown[] | undefined) ?? []).filter((g) => typeof g === 'string');
  if (malformed.length)
    return malformed.map((entry) => `grants: "${entry}" is not resource_id=action;action`);
  const checked = InvitationBatchRowSchema.safeParse(row.input);
  if (!checked.success)
    return checked.error.issues.map((issue) => `${issue.path.join('.') || 'row'}: ${issue.message}`);
  const shape = targetShapeProblem(checked.data);
  return shape ? [shape] : [];
}

export interface CollectedRows {
  rows: Row[];
  /** `row N (line L): reason` for every bad row, in row order. */
  problems: string[];
}

/** Every row, each checked on its own and against the rows before it (the same address twice). */
export function collectRows(emails: string[], options: ApiOptions): CollectedRows {
  const rows: Row[] = emails.map((email, i) => ({
    n: i + 1,
    where: `argument ${i + 1}`,
    input: rowFromRecord({ email }, options),
  }));
  if (options.csv) rows.push(...csvRows(options.csv as string, rows.length + 1, options));
  if (rows.length === 0) throw new UsageError('nothing to invite: give emails or --csv <file>');
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const found = rowProblems(row);
    if (found.length === 0) {
      const address = canonicalEmail(row.input.email as string);
      const earlier = seen.get(address);
      if (earlier) found.push(`${row.input.email as string} is already row ${earlier}`);
      else seen.set(address, row.n);
    }
    for (const problem of found) problems.push(`row ${row.n} (${row.where}): ${problem}`);
  }
  return { rows, problems };
}

/**
 * Rows naming a role the organization's catalog lacks, from its settings. When the catalog
 * cannot be read (no such organization, a key without the scope), the server checks roles.
 */
export async function roleProblems(client: Client, rows: Row[], options: ApiOptions): Promise<string[]> {
  const wanted = rows.filter((row) => !row.unreadable && typeof row.input.role === 'string');
  if (wanted.length === 0) return [];
  let names: string[];
  try {
    const organization = await client.call<{ settings?: { roles?: { name: string }[] } }>(
      'GET',
      `/v1/organizations/${seg(options.org as string)}`,
    );
    names = (organization.settings?.roles ?? []).map((role) => role.name);
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    process.stderr.write(`rsvp: warning: roles not checked before sending (${why})\n`);
    return [];
  }
  if (names.length === 0) return [];
  return wanted
    .filter((row) => !names.includes(row.input.role as string))
    .map(
      (row) =>
        `row ${row.n} (${row.where}): role "${row.input.role as string}" is not in ${options.org as string}'s roles (${names.join(', ')})`,
    );
}

/** Throws the usage error that lists every problem, when there is one: nothing is sent. */
export function refuseBadRows(problems: string[], rows: Row[], note = '') {
  if (problems.length === 0) return;
  const byRow = (line: string) => Number(/^row (\d+)/.exec(line)?.[1] ?? 0);
  const sorted = [...problems].sort((a, b) => byRow(a) - byRow(b));
  const bad = new Set(sorted.map(byRow)).size;
  throw new UsageError(
    `${sorted.join('\n')}\n${bad} of ${rows.length} rows have problems (${problems.length} in all); nothing was sent${note}`,
  );
}
