import type { Command } from 'commander';
import { query, readInputFile, seg, UsageError } from './client.ts';
import {
  type ApiOptions,
  apiCommand,
  defined,
  listOption,
  paged,
  pageParams,
  print,
  run,
} from './command.ts';

function keyCommands(program: Command) {
  const group = program.command('keys').description('your API keys');
  apiCommand(group, 'create', 'create an API key; its secret is shown once', [
    'rsvp keys create --name ci --scopes invitations:read,invitations:write',
  ])
    .requiredOption('--name <name>', 'what the key is for')
    .option('--scopes <list>', 'comma-separated scopes (default: all of yours)', listOption)
    .option('--expire-time <time>', 'when the key stops working (RFC 3339)')
    .action(
      run(async (client, o) => {
        const key = await client.call('POST', '/v1/api-keys', {
          name: o.name,
          ...defined({ scopes: o.scopes, expire_time: o.expireTime }),
        });
        process.stdout.write(`${key.id}\t${key.secret}\nKeep the secret now: it is shown only once.\n`);
      }),
    );
  paged(apiCommand(group, 'list', 'your API keys (never their secrets)', ['rsvp keys list']))
    .option('--json', 'print the API answer as JSON')
    .action(
      run(async (client, o) => {
        const body = await client.call<{
          api_keys: { id: string; name: string; hint: string; revoke_time: string | null }[];
        }>('GET', `/v1/api-keys${query({ page_size: 100, ...defined(pageParams(o)) })}`);
        if (o.json) return print(body);
        for (const key of body.api_keys)
          process.stdout.write(
            `${key.id}\t${key.name}\t${key.hint}…\t${key.revoke_time ? 'revoked' : 'active'}\n`,
          );
      }),
    );
  apiCommand(group, 'revoke <key_id>', 'revoke an API key', ['rsvp keys revoke key_123']).action(
    run(async (client, _o, id) => {
      await client.call('DELETE', `/v1/api-keys/${seg(id!)}`);
      process.stdout.write(`revoked ${id}\n`);
    }),
  );
}

function userCommands(program: Command) {
  const group = program.command('users').description('user accounts');
  apiCommand(group, 'create', 'create a user account (instance admins)', [
    'rsvp users create --email grace@example.com --name "Grace Hopper"',
    "echo 'a long passphrase' | rsvp users create --email grace@example.com --password-stdin",
  ])
    .requiredOption('--email <address>', 'their email address')
    .option('--username <name>', 'a username')
    .option('--name <display name>', 'display name')
    .option('--password-stdin', 'read a password from standard input')
    .action(
      run(async (client, o) => {
        const password = o.passwordStdin ? readInputFile('/dev/stdin').trim() : undefined;
        if (o.passwordStdin && !password) throw new UsageError('--password-stdin: standard input was empty');
        print(
          await client.call('POST', '/v1/users', {
            email: o.email,
            ...defined({ username: o.username, display_name: o.name, password }),
          }),
        );
      }),
    );
  paged(
    apiCommand(group, 'list', 'every user of the instance (instance admins)', [
      'rsvp users list --q grace --status active',
    ]),
  )
    .option('--q <text>', 'only users whose email, username or name contains this')
    .option('--status <status>', 'only users in this state')
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'GET',
            `/v1/users${query({ q: o.q as string | undefined, status: o.status as string | undefined, ...pageParams(o) })}`,
          ),
        ),
      ),
    );
  apiCommand(group, 'get <user_id>', 'show a user', ['rsvp users get usr_123']).action(
    run(async (client, _o, id) => print(await client.call('GET', `/v1/users/${seg(id!)}`))),
  );
  apiCommand(program, 'token', 'exchange an API key for a one-hour access token (OAuth client credentials)', [
    'rsvp token --client-id key_123 --api-key "$KEY" --scope invitations:read',
  ])
    .requiredOption('--client-id <key_id>', 'the id of the API key given with --api-key (or RSVP_API_KEY)')
    .option('--scope <scopes>', "space-separated scopes, a subset of the key's")
    .action(
      run(async (client, o) => {
        const secret = o.apiKey ?? process.env.RSVP_API_KEY;
        if (!secret) throw new UsageError('token needs the key secret: --api-key or RSVP_API_KEY');
        print(
          await client.call('POST', '/oauth/token', {
            grant_type: 'client_credentials',
            client_id: o.clientId,
            client_secret: secret,
            ...defined({ scope: o.scope }),
          }),
        );
      }),
    );
  apiCommand(program, 'me', 'who you are, and your organizations', ['rsvp me']).action(
    run(async (client) => print(await client.call('GET', '/v1/me'))),
  );
}

const webhooksPath = (o: ApiOptions) => `/v1/organizations/${seg(o.org as string)}/webhooks`;

function webhookCommands(program: Command) {
  const group = program.command('webhooks').description("an organization's webhook endpoints and deliveries");
  webhookEndpointCommands(group);
  webhookDeliveryCommands(group);
}

/** `create`, `list`, `get`, `update` and `delete`, on endpoints. */
function webhookEndpointCommands(group: Command) {
  apiCommand(group, 'create', 'add an endpoint; its signing secret is shown once', [
    'rsvp webhooks create --org acme --endpoint https://example.com/hooks --events invitation.accepted,invitation.declined',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .requiredOption('--endpoint <url>', 'where deliveries go (https)')
    .requiredOption('--events <list>', 'comma-separated event types', listOption)
    .option('--description <text>', 'what it is for')
    .option('--disabled', 'create it disabled')
    .action(
      run(async (client, o) =>
        print(
          await client.call('POST', webhooksPath(o), {
            url: o.endpoint,
            event_types: o.events,
            ...defined({ description: o.description, enabled: o.disabled ? false : undefined }),
          }),
        ),
      ),
    );
  apiCommand(group, 'list', "an organization's endpoints", ['rsvp webhooks list --org acme'])
    .requiredOption('--org <org>', 'organization id or slug')
    .action(run(async (client, o) => print(await client.call('GET', webhooksPath(o)))));
  apiCommand(group, 'get <endpoint_id>', 'show an endpoint', ['rsvp webhooks get whe_123 --org acme'])
    .requiredOption('--org <org>', 'organization id or slug')
    .action(run(async (client, o, id) => print(await client.call('GET', `${webhooksPath(o)}/${seg(id!)}`))));
  apiCommand(group, 'update <endpoint_id>', 'change an endpoint, or rotate its secret', [
    'rsvp webhooks update whe_123 --org acme --disable',
    'rsvp webhooks update whe_123 --org acme --rotate-secret',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--endpoint <url>', 'new delivery URL')
    .option('--events <list>', 'new comma-separated event types', listOption)
    .option('--description <text>', 'new description ("" removes it)')
    .option('--enable', 'resume deliveries')
    .option('--disable', 'pause deliveries')
    .option('--rotate-secret', 'issue a new signing secret (shown once)')
    .action(
      run(async (client, o, id) => {
        if (o.enable && o.disable) throw new UsageError('webhooks update: --enable or --disable, not both');
        const fields = defined({
          url: o.endpoint,
          event_types: o.events,
          description: o.description === '' ? null : o.description,
          enabled: o.enable ? true : o.disable ? false : undefined,
          rotate_secret: o.rotateSecret ? true : undefined,
        });
        if (Object.keys(fields).length === 0)
          throw new UsageError('webhooks update: nothing to change (see --help)');
        print(await client.call('PATCH', `${webhooksPath(o)}/${seg(id!)}`, fields));
      }),
    );
  apiCommand(group, 'delete <endpoint_id>', 'delete an endpoint', ['rsvp webhooks delete whe_123 --org acme'])
    .requiredOption('--org <org>', 'organization id or slug')
    .action(
      run(async (client, o, id) => {
        await client.call('DELETE', `${webhooksPath(o)}/${seg(id!)}`);
        process.stdout.write(`deleted ${id}\n`);
      }),
    );
}

/** An endpoint's deliveries, retrying one, and sending a test event. */
function webhookDeliveryCommands(group: Command) {
  paged(
    apiCommand(group, 'deliveries <endpoint_id>', "an endpoint's deliveries", [
      'rsvp webhooks deliveries whe_123 --org acme --status failed',
    ]),
  )
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--status <status>', 'only deliveries in this state')
    .action(
      run(async (client, o, id) =>
        print(
          await client.call(
            'GET',
            `${webhooksPath(o)}/${seg(id!)}/deliveries${query({ status: o.status as string | undefined, ...pageParams(o) })}`,
          ),
        ),
      ),
    );
  apiCommand(group, 'retry <endpoint_id> <delivery_id>', 'deliver a failed delivery again', [
    'rsvp webhooks retry whe_123 whd_456 --org acme',
  ])
    .requiredOption('--org <org>', 'organization id or slug')
    .action(
      run(async (client, o, id, delivery) =>
        print(await client.call('POST', `${webhooksPath(o)}/${seg(id!)}/deliveries/${seg(delivery!)}/retry`)),
      ),
    );
  apiCommand(
    group,
    'test <endpoint_id>',
    'queue a signed test event to one endpoint and print its delivery id (see it in `webhooks deliveries`)',
    ['rsvp webhooks test whe_123 --org acme'],
  )
    .requiredOption('--org <org>', 'organization id or slug')
    .action(
      run(async (client, o, id) => print(await client.call('POST', `${webhooksPath(o)}/${seg(id!)}/test`))),
    );
}

function eventCommands(program: Command) {
  const group = program.command('events').description('the audit log');
  paged(
    apiCommand(group, 'list', 'events you may see, newest last', [
      'rsvp events list --org org_123 --type invitation.accepted',
      'rsvp events list --invitation inv_123',
    ]),
  )
    .option('--org <org_id>', 'events of this organization (its id)')
    .option('--invitation <id>', 'events of this invitation')
    .option('--subject-type <type>', 'e.g. invitation, member, api_key')
    .option('--subject-id <id>', 'events about this object')
    .option('--actor <user_id>', 'events caused by this user')
    .option('--type <type>', 'only this event type')
    .option('--since <time>', 'RFC 3339')
    .option('--until <time>', 'RFC 3339')
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'GET',
            `/v1/events${query({
              organization_id: o.org as string | undefined,
              invitation_id: o.invitation as string | undefined,
              subject_type: o.subjectType as string | undefined,
              subject_id: o.subjectId as string | undefined,
              actor_user_id: o.actor as string | undefined,
              type: o.type as string | undefined,
              since: o.since as string | undefined,
              until: o.until as string | undefined,
              ...pageParams(o),
            })}`,
          ),
        ),
      ),
    );
}

export function accountGroups(program: Command) {
  keyCommands(program);
  userCommands(program);
  webhookCommands(program);
  eventCommands(program);
}
