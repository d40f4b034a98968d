import type { Command } from 'commander';
import { query, seg, UsageError } from './client.ts';
import {
  type ApiOptions,
  apiCommand,
  defined,
  intOption,
  listOption,
  paged,
  pageParams,
  pairOption,
  print,
  run,
} from './command.ts';

const orgPath = (options: ApiOptions) => `/v1/organizations/${seg(options.org as string)}/invitations`;

interface InvitationRow {
  id: string;
  email: string;
  status: string;
  role: string | null;
  expire_time: string;
}

/** `--token` or an invitation id, for the invitee's accept and decline. */
function byIdOrToken(id: string | undefined, options: ApiOptions, verb: string) {
  if (id && options.token)
    throw new UsageError(`invitations ${verb}: give an invitation id or --token, not both`);
  if (id) return { path: `/v1/invitations/${seg(id)}/${verb}`, body: undefined };
  if (options.token) return { path: `/v1/invitations/${verb}`, body: { token: options.token } };
  throw new UsageError(`invitations ${verb} needs an invitation id or --token`);
}

export function invitationCommands(program: Command) {
  const group = program
    .command('invitations')
    .description('create, list, change, resend, revoke, accept and decline invitations');

  apiCommand(group, 'create <email>', 'invite one person to an organization or onto a resource', [
    'rsvp invitations create grace@example.com --org acme --role admin --message "Welcome"',
    'rsvp invitations create lin@example.com --org acme --resource res_123 --actions read,write',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--role <role>', "the role to grant (the organization's default when omitted)")
    .option('--resource <id>', 'invite onto this resource instead of the organization')
    .option('--actions <list>', 'resource invitations: comma-separated actions', listOption)
    .option('--message <text>', 'a personal note shown in the email')
    .option('--ttl <seconds>', 'lifetime from now (3600 to 2592000)', intOption)
    .option('--expire-time <time>', 'absolute expiry (RFC 3339), instead of --ttl')
    .option('--locale <tag>', 'language of the email, e.g. en or pt-BR')
    .option('--metadata <key=value>', 'your own key-value pair (repeatable)', pairOption)
    .option('--no-email', 'send nothing: print the accept link once, to deliver yourself')
    .action(
      run(async (client, o, email) => {
        print(
          await client.call('POST', orgPath(o), {
            email,
            ...defined({
              role: o.role,
              resource_id: o.resource,
              actions: o.actions,
              message: o.message,
              ttl_seconds: o.ttl,
              expire_time: o.expireTime,
              locale: o.locale,
              metadata: o.metadata,
            }),
            send_email: o.email !== false,
          }),
        );
      }),
    );

  paged(
    apiCommand(group, 'list', "list an organization's invitations (tab-separated; --json for all fields)", [
      'rsvp invitations list --org acme --status pending,expired',
      'rsvp invitations list --org acme --q grace --json',
    ]),
  )
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--status <list>', 'comma-separated: pending, accepted, declined, revoked, expired')
    .option('--email <address>', 'exactly this address')
    .option('--q <text>', 'search in addresses')
    .option('--role <role>', 'invitations for this role')
    .option('--resource <id>', 'invitations onto this resource')
    .option('--delivery-state <state>', 'queued, sent, failed or not_sent')
    .option('--created-after <time>', 'RFC 3339')
    .option('--created-before <time>', 'RFC 3339')
    .option('--order-by <order>', 'e.g. "create_time desc"')
    .option('--json', 'print the API answer as JSON')
    .action(
      run(async (client, o) => {
        const body = await client.call<{ invitations: InvitationRow[]; next_page_token?: string | null }>(
          'GET',
          `${orgPath(o)}${query({
            status: o.status as string | undefined,
            email: o.email as string | undefined,
            q: o.q as string | undefined,
            role: o.role as string | undefined,
            resource_id: o.resource as string | undefined,
            delivery_state: o.deliveryState as string | undefined,
            created_after: o.createdAfter as string | undefined,
            created_before: o.createdBefore as string | undefined,
            order_by: o.orderBy as string | undefined,
            ...pageParams(o),
          })}`,
        );
        if (o.json) return print(body);
        for (const inv of body.invitations)
          process.stdout.write(
            `${inv.id}\t${inv.email}\t${inv.status}\t${inv.role ?? '-'}\t${inv.expire_time}\n`,
          );
        if (body.next_page_token) process.stderr.write(`more: --page-token ${body.next_page_token}\n`);
      }),
    );

  apiCommand(group, 'get <invitation_id>', 'show one invitation', ['rsvp invitations get inv_123 --org acme'])
    .requiredOption('--org <org>', 'organization id or slug')
    .action(run(async (client, o, id) => print(await client.call('GET', `${orgPath(o)}/${seg(id!)}`))));

  apiCommand(group, 'update <invitation_id>', 'change a pending invitation', [
    'rsvp invitations update inv_123 --org acme --role admin --ttl 86400',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--role <role>', 'the role to grant')
    .option('--actions <list>', 'resource invitations: comma-separated actions', listOption)
    .option('--ttl <seconds>', 'new lifetime from now', intOption)
    .option('--expire-time <time>', 'new absolute expiry (RFC 3339)')
    .option('--message <text>', 'new personal note ("" removes it)')
    .option('--metadata <key=value>', 'replace metadata with these pairs (repeatable)', pairOption)
    .action(
      run(async (client, o, id) => {
        const fields = defined({
          role: o.role,
          actions: o.actions,
          ttl_seconds: o.ttl,
          expire_time: o.expireTime,
          message: o.message === '' ? null : o.message,
          metadata: o.metadata,
        });
        if (Object.keys(fields).length === 0)
          throw new UsageError('invitations update: nothing to change (see --help)');
        print(await client.call('PATCH', `${orgPath(o)}/${seg(id!)}`, fields));
      }),
    );

  apiCommand(group, 'resend <invitation_id>', 'send a pending invitation again, with a new link', [
    'rsvp invitations resend inv_123 --org acme',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--ttl <seconds>', 'new lifetime from now', intOption)
    .option('--no-email', 'send nothing: print the new accept link once')
    .action(
      run(async (client, o, id) => {
        print(
          await client.call('POST', `${orgPath(o)}/${seg(id!)}/resend`, {
            ...defined({ ttl_seconds: o.ttl }),
            send_email: o.email !== false,
          }),
        );
      }),
    );

  apiCommand(group, 'revoke <invitation_id>', 'revoke a pending invitation: its link stops working', [
    'rsvp invitations revoke inv_123 --org acme',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .action(
      run(async (client, o, id) => print(await client.call('POST', `${orgPath(o)}/${seg(id!)}/revoke`))),
    );

  for (const verb of ['accept', 'decline'] as const) {
    apiCommand(
      group,
      `${verb} [invitation_id]`,
      `${verb} an invitation addressed to you (by id or link token)`,
      [
        `rsvp invitations ${verb} inv_123 --url http://127.0.0.1:8080 --api-key "$MY_KEY"`,
        `rsvp invitations ${verb} --token rsvp_it_… --url http://127.0.0.1:8080 --api-key "$MY_KEY"`,
      ],
    )
      .option('--token <token>', 'the token from the invitation link')
      .action(
        run(async (client, o, id) => {
          const { path, body } = byIdOrToken(id, o, verb);
          print(await client.call('POST', path, body));
        }),
      );
  }

  apiCommand(group, 'preview', 'what an invitation link offers (no sign-in needed)', [
    'rsvp invitations preview --token rsvp_it_…',
  ])
    .requiredOption('--token <token>', 'the token from the invitation link')
    .action(
      run(async (client, o) =>
        print(await client.call('POST', '/v1/invitations/preview', { token: o.token })),
      ),
    );

  paged(apiCommand(group, 'mine', 'invitations addressed to you', ['rsvp invitations mine --status pending']))
    .option('--status <list>', 'comma-separated statuses')
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'GET',
            `/v1/me/invitations${query({ status: o.status as string | undefined, ...pageParams(o) })}`,
          ),
        ),
      ),
    );
}
