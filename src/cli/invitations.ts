import type { Command } from 'commander';
import { query, seg, UsageError } from './client.ts';
import {
  apiCommand,
  defined,
  intOption,
  jsonOption,
  listOption,
  paged,
  pageParams,
  pairOption,
  print,
  run,
} from './command.ts';
import {
  type BulkAnswer,
  byIdOrToken,
  filterOf,
  filterOptions,
  grantOption,
  type InvitationRow,
  orgPath,
  printBulk,
  selectionOf,
} from './invitation-options.ts';

export function invitationCommands(program: Command) {
  const group = program
    .command('invitations')
    .description('create, list, change, resend, revoke, accept and decline invitations');

  createCommand(group);
  listCommand(group);
  getCommand(group);
  updateCommand(group);
  resendCommand(group);
  revokeCommand(group);
  bulkRevokeCommand(group);
  bulkResendCommand(group);
  answerCommands(group);
  previewCommand(group);
  mineCommand(group);
}

function createCommand(group: Command) {
  apiCommand(group, 'create <email>', 'invite one person to an organization or onto a resource', [
    'rsvp invitations create grace@example.com --org acme --role admin --message "Welcome"',
    'rsvp invitations create lin@example.com --org acme --resource res_123 --actions read,write',
    'rsvp invitations create kim@example.com --org acme --role member --grant res_1=read --grant res_2=read,write',
    'rsvp invitations create ana@example.com --org acme --public-metadata \'{"plan":"pro"}\' --redirect-url https://app.example/welcome',
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
    .option(
      '--grant <resource=actions>',
      'also grant actions on a resource, with the role (repeatable)',
      grantOption,
    )
    .option(
      '--public-metadata <json>',
      'a JSON object the invitee sees, copied onto the membership',
      jsonOption,
    )
    .option(
      '--private-metadata <json>',
      'a JSON object only admins see, copied onto the membership',
      jsonOption,
    )
    .option('--redirect-url <url>', 'where the invitee lands after accepting (an allowed origin)')
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
              grants: o.grant,
              public_metadata: o.publicMetadata,
              private_metadata: o.privateMetadata,
              redirect_url: o.redirectUrl,
            }),
            send_email: o.email !== false,
          }),
        );
      }),
    );
}

function listCommand(group: Command) {
  paged(
    filterOptions(
      apiCommand(group, 'list', "list an organization's invitations (tab-separated; --json for all fields)", [
        'rsvp invitations list --org acme --status pending,expired',
        'rsvp invitations list --org acme --q grace --json',
        'rsvp invitations list --org acme --before <prev_page_token>',
      ]),
    ),
  )
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--order-by <order>', 'e.g. "create_time desc"')
    .option('--before <token>', 'the prev_page_token of a page: the page before it')
    .option('--offset <n>', 'skip this many matches (at most 10000)', intOption)
    .option('--json', 'print the API answer as JSON')
    .action(
      run(async (client, o) => {
        const body = await client.call<{
          invitations: InvitationRow[];
          next_page_token?: string | null;
          prev_page_token?: string | null;
        }>(
          'GET',
          `${orgPath(o)}${query({
            ...(filterOf(o) as Record<string, string>),
            order_by: o.orderBy as string | undefined,
            before: o.before as string | undefined,
            offset: o.offset as number | undefined,
            ...pageParams(o),
          })}`,
        );
        if (o.json) return print(body);
        for (const inv of body.invitations)
          process.stdout.write(
            `${inv.id}\t${inv.email}\t${inv.status}\t${inv.role ?? '-'}\t${inv.expire_time}\n`,
          );
        if (body.next_page_token) process.stderr.write(`more: --page-token ${body.next_page_token}\n`);
        if (body.prev_page_token) process.stderr.write(`back: --before ${body.prev_page_token}\n`);
      }),
    );
}

function getCommand(group: Command) {
  apiCommand(group, 'get <invitation_id>', 'show one invitation', ['rsvp invitations get inv_123 --org acme'])
    .requiredOption('--org <org>', 'organization id or slug')
    .action(run(async (client, o, id) => print(await client.call('GET', `${orgPath(o)}/${seg(id!)}`))));
}

function updateCommand(group: Command) {
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
    .option('--public-metadata <json>', 'replace the public metadata object', jsonOption)
    .option('--private-metadata <json>', 'replace the private metadata object', jsonOption)
    .option('--redirect-url <url>', 'where the invitee lands after accepting ("" for the app URL)')
    .action(
      run(async (client, o, id) => {
        const fields = defined({
          role: o.role,
          actions: o.actions,
          ttl_seconds: o.ttl,
          expire_time: o.expireTime,
          message: o.message === '' ? null : o.message,
          metadata: o.metadata,
          public_metadata: o.publicMetadata,
          private_metadata: o.privateMetadata,
          redirect_url: o.redirectUrl === '' ? null : o.redirectUrl,
        });
        if (Object.keys(fields).length === 0)
          throw new UsageError('invitations update: nothing to change (see --help)');
        print(await client.call('PATCH', `${orgPath(o)}/${seg(id!)}`, fields));
      }),
    );
}

function resendCommand(group: Command) {
  apiCommand(group, 'resend <invitation_id>', 'send a pending invitation again, with a new link', [
    'rsvp invitations resend inv_123 --org acme',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--ttl <seconds>', 'new lifetime from now', intOption)
    .option('--locale <tag>', 'send in this language from now on, e.g. fr')
    .option('--no-email', 'send nothing: print the new accept link once')
    .action(
      run(async (client, o, id) => {
        print(
          await client.call('POST', `${orgPath(o)}/${seg(id!)}/resend`, {
            ...defined({ ttl_seconds: o.ttl, locale: o.locale }),
            send_email: o.email !== false,
          }),
        );
      }),
    );
}

function revokeCommand(group: Command) {
  apiCommand(group, 'revoke <invitation_id>', 'revoke a pending invitation: its link stops working', [
    'rsvp invitations revoke inv_123 --org acme',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .action(
      run(async (client, o, id) => print(await client.call('POST', `${orgPath(o)}/${seg(id!)}/revoke`))),
    );
}

function bulkRevokeCommand(group: Command) {
  filterOptions(
    apiCommand(
      group,
      'bulk-revoke',
      'revoke many invitations: by --ids, or all pending ones matching filters',
      [
        'rsvp invitations bulk-revoke --org acme --ids inv_1,inv_2',
        'rsvp invitations bulk-revoke --org acme --all-matching --q @old-partner.example',
      ],
    ),
  )
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--ids <list>', 'comma-separated invitation ids (up to 1000)', listOption)
    .option('--all-matching', 'every invitation matching the filters (pending unless --status)')
    .option('--json', 'print the API answer as JSON')
    .action(
      run(async (client, o) => {
        const body = await client.call<BulkAnswer>(
          'POST',
          `${orgPath(o)}/bulk-revoke`,
          selectionOf(o, 'bulk-revoke'),
        );
        printBulk(body, o.json);
      }),
    );
}

function bulkResendCommand(group: Command) {
  filterOptions(
    apiCommand(
      group,
      'bulk-resend',
      'resend many invitations: by --ids, or all pending and expired ones matching',
      [
        'rsvp invitations bulk-resend --org acme --all-matching --delivery-state failed',
        'rsvp invitations bulk-resend --org acme --ids inv_1,inv_2 --locale fr',
      ],
    ),
  )
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--ids <list>', 'comma-separated invitation ids (up to 1000)', listOption)
    .option('--all-matching', 'every invitation matching the filters (pending and expired unless --status)')
    .option('--ttl <seconds>', 'new lifetime from now', intOption)
    .option('--locale <tag>', 'send in this language from now on')
    .option('--json', 'print the API answer as JSON')
    .action(
      run(async (client, o) => {
        const body = await client.call<BulkAnswer>('POST', `${orgPath(o)}/bulk-resend`, {
          ...selectionOf(o, 'bulk-resend'),
          ...defined({ ttl_seconds: o.ttl, locale: o.locale }),
        });
        printBulk(body, o.json);
      }),
    );
}

/** `accept` and `decline`, for the invitee. */
function answerCommands(group: Command) {
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
}

function previewCommand(group: Command) {
  apiCommand(group, 'preview', 'what an invitation link offers (no sign-in needed)', [
    'rsvp invitations preview --token rsvp_it_…',
  ])
    .requiredOption('--token <token>', 'the token from the invitation link')
    .action(
      run(async (client, o) =>
        print(await client.call('POST', '/v1/invitations/preview', { token: o.token })),
      ),
    );
}

function mineCommand(group: Command) {
  paged(apiCommand(group, 'mine', 'invitations addressed to you', ['rsvp invitations mine --status pending']))
    .option('--status <list>', 'comma-separated statuses')
    .option('--before <token>', 'the prev_page_token of a page: the page before it')
    .option('--offset <n>', 'skip this many (at most 10000)', intOption)
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'GET',
            `/v1/me/invitations${query({
              status: o.status as string | undefined,
              before: o.before as string | undefined,
              offset: o.offset as number | undefined,
              ...pageParams(o),
            })}`,
          ),
        ),
      ),
    );
}
