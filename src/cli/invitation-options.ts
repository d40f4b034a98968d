import { type Command, InvalidArgumentError } from 'commander';
import { seg, UsageError } from './client.ts';
import { type ApiOptions, defined, listOption, print } from './command.ts';

/** What the invitation commands share: the path, option parsers, filters, selections and answers. */
export const orgPath = (options: ApiOptions) => `/v1/organizations/${seg(options.org as string)}/invitations`;

export interface InvitationRow {
  id: string;
  email: string;
  status: string;
  role: string | null;
  expire_time: string;
}

/** `--grant res_123=read,write`, repeatable: a combined invitation's resources. */
export function grantOption(value: string, previous: { resource_id: string; actions: string[] }[] = []) {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected resource_id=action,action');
  return [...previous, { resource_id: value.slice(0, at).trim(), actions: listOption(value.slice(at + 1)) }];
}

/** The list's filters, shared by `list` and the bulk commands. */
export function filterOptions(command: Command) {
  return command
    .option('--status <list>', 'comma-separated: pending, accepted, declined, revoked, expired')
    .option('--email <address>', 'exactly this address')
    .option('--q <text>', 'search in addresses')
    .option('--role <role>', 'invitations for this role')
    .option('--resource <id>', 'invitations onto this resource')
    .option('--delivery-state <state>', 'queued, sent, failed or not_sent')
    .option('--created-after <time>', 'RFC 3339')
    .option('--created-before <time>', 'RFC 3339');
}

export function filterOf(o: ApiOptions) {
  return defined({
    status: o.status as string | undefined,
    email: o.email as string | undefined,
    q: o.q as string | undefined,
    role: o.role as string | undefined,
    resource_id: o.resource as string | undefined,
    delivery_state: o.deliveryState as string | undefined,
    created_after: o.createdAfter as string | undefined,
    created_before: o.createdBefore as string | undefined,
  });
}

/** `--ids a,b` or `--all-matching` with filters: what a bulk command acts on. */
export function selectionOf(o: ApiOptions, verb: string) {
  const filter = filterOf(o);
  if (o.ids && o.allMatching)
    throw new UsageError(`invitations ${verb}: give --ids or --all-matching, not both`);
  if (o.ids) {
    if (Object.keys(filter).length > 0)
      throw new UsageError(`invitations ${verb}: filters go with --all-matching`);
    return { ids: o.ids as string[] };
  }
  if (!o.allMatching)
    throw new UsageError(`invitations ${verb} needs --ids or --all-matching (with filters)`);
  const { status, ...rest } = filter as Record<string, string>;
  return { filter: { ...rest, ...(status ? { status: listOption(status) } : {}) } };
}

/** The per-row answer of a bulk command: one line per invitation, the failures on stderr. */
export function printBulk(body: BulkAnswer, json: unknown) {
  if (json) return print(body);
  for (const row of body.results) {
    if (row.error)
      process.stderr.write(`${row.id}	${row.status}	${row.error.code}	${row.error.detail ?? ''}
`);
    else
      process.stdout.write(`${row.id}	${row.status}	${row.invitation?.status ?? ''}
`);
  }
  process.stderr.write(`${body.succeeded} succeeded, ${body.failed} failed
`);
  if (body.failed > 0) process.exitCode = 1;
}

export interface BulkAnswer {
  results: {
    id: string;
    status: number;
    invitation?: { status: string };
    error?: { code: string; detail?: string };
  }[];
  succeeded: number;
  failed: number;
}

/** `--token` or an invitation id, for the invitee's accept and decline. */
export function byIdOrToken(id: string | undefined, options: ApiOptions, verb: string) {
  if (id && options.token)
    throw new UsageError(`invitations ${verb}: give an invitation id or --token, not both`);
  if (id) return { path: `/v1/invitations/${seg(id)}/${verb}`, body: undefined };
  if (options.token) return { path: `/v1/invitations/${verb}`, body: { token: options.token } };
  throw new UsageError(`invitations ${verb} needs an invitation id or --token`);
}
