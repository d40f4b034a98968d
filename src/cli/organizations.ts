import type { Command } from 'commander';
import { query, seg, UsageError } from './client.ts';
import {
  type ApiOptions,
  apiCommand,
  defined,
  jsonOption,
  listOption,
  paged,
  pageParams,
  print,
  run,
} from './command.ts';

const org = (o: ApiOptions) => `/v1/organizations/${seg(o.org as string)}`;
const ORG = ['--org <org>', 'organization id or slug'] as const;

function organizationCommands(program: Command) {
  const group = program.command('orgs').description('create, list, show and change organizations');
  apiCommand(group, 'create <slug>', 'create an organization (you become its owner)', [
    'rsvp orgs create acme --name "Acme Inc."',
  ])
    .option('--name <name>', 'display name (default: the slug)')
    .option('--settings <json>', 'organization settings as JSON', jsonOption)
    .action(
      run(async (client, o, slug) =>
        print(
          await client.call('POST', '/v1/organizations', {
            slug,
            name: (o.name as string | undefined) ?? slug,
            ...defined({ settings: o.settings }),
          }),
        ),
      ),
    );
  paged(apiCommand(group, 'list', 'organizations you belong to', ['rsvp orgs list'])).action(
    run(async (client, o) => print(await client.call('GET', `/v1/organizations${query(pageParams(o))}`))),
  );
  apiCommand(group, 'get <org>', 'show an organization and its settings', ['rsvp orgs get acme']).action(
    run(async (client, _o, id) => print(await client.call('GET', `/v1/organizations/${seg(id!)}`))),
  );
  apiCommand(group, 'update <org>', 'rename an organization or change its settings', [
    'rsvp orgs update acme --name "Acme"',
    `rsvp orgs update acme --settings '{"default_role":"member"}'`,
  ])
    .option('--name <name>', 'new display name')
    .option('--settings <json>', 'settings to merge, as JSON', jsonOption)
    .action(
      run(async (client, o, id) => {
        const fields = defined({ name: o.name, settings: o.settings });
        if (Object.keys(fields).length === 0)
          throw new UsageError('orgs update: nothing to change (see --help)');
        print(await client.call('PATCH', `/v1/organizations/${seg(id!)}`, fields));
      }),
    );
  suggestedCommands(group);
}

/** Organizations your address's domain lets you join, and joining one. */
function suggestedCommands(group: Command) {
  apiCommand(group, 'suggested', 'organizations you may join through your address domain', [
    'rsvp orgs suggested',
  ]).action(run(async (client) => print(await client.call('GET', '/v1/me/suggested-organizations'))));
  apiCommand(group, 'join <org>', 'join a suggested organization through your address domain', [
    'rsvp orgs join org_123',
  ]).action(
    run(async (client, _o, id) =>
      print(await client.call('POST', `/v1/me/suggested-organizations/${seg(id!)}/join`)),
    ),
  );
}

function memberCommands(program: Command) {
  const group = program
    .command('members')
    .description("list an organization's members, change their roles, remove them");
  paged(
    apiCommand(group, 'list', "an organization's members and their roles", ['rsvp members list --org acme']),
  )
    .requiredOption(...ORG)
    .option('--role <role>', 'only members with this role')
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'GET',
            `${org(o)}/members${query({ role: o.role as string | undefined, ...pageParams(o) })}`,
          ),
        ),
      ),
    );
  apiCommand(group, 'set-role <user_id>', "change a member's role", [
    'rsvp members set-role usr_123 --org acme --role admin',
  ])
    .requiredOption(...ORG)
    .requiredOption('--role <role>', 'the new role')
    .action(
      run(async (client, o, user) =>
        print(await client.call('PATCH', `${org(o)}/members/${seg(user!)}`, { role: o.role })),
      ),
    );
  apiCommand(group, 'remove <user_id>', 'remove a member from the organization', [
    'rsvp members remove usr_123 --org acme',
  ])
    .requiredOption(...ORG)
    .action(
      run(async (client, o, user) => {
        await client.call('DELETE', `${org(o)}/members/${seg(user!)}`);
        process.stdout.write(`removed ${user}\n`);
      }),
    );
}

function resourceCommands(program: Command) {
  const group = program.command('resources').description("an organization's shared resources");
  apiCommand(group, 'create', 'register a resource that can be shared by invitation', [
    'rsvp resources create --org acme --type dataset --name "Q3 sales"',
  ])
    .requiredOption(...ORG)
    .requiredOption('--type <type>', 'your kind of resource, e.g. dataset')
    .requiredOption('--name <name>', 'display name')
    .action(
      run(async (client, o) =>
        print(await client.call('POST', `${org(o)}/resources`, { type: o.type, name: o.name })),
      ),
    );
  paged(apiCommand(group, 'list', "an organization's resources", ['rsvp resources list --org acme']))
    .requiredOption(...ORG)
    .option('--type <type>', 'only this kind')
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'GET',
            `${org(o)}/resources${query({ type: o.type as string | undefined, ...pageParams(o) })}`,
          ),
        ),
      ),
    );
  apiCommand(group, 'get <resource_id>', 'show a resource', ['rsvp resources get res_123 --org acme'])
    .requiredOption(...ORG)
    .action(run(async (client, o, id) => print(await client.call('GET', `${org(o)}/resources/${seg(id!)}`))));
  apiCommand(group, 'delete <resource_id>', 'delete a resource and its grants', [
    'rsvp resources delete res_123 --org acme',
  ])
    .requiredOption(...ORG)
    .action(
      run(async (client, o, id) => {
        await client.call('DELETE', `${org(o)}/resources/${seg(id!)}`);
        process.stdout.write(`deleted ${id}\n`);
      }),
    );
}

function grantCommands(program: Command) {
  const group = program.command('grants').description('who may do what on a resource');
  const base = (o: ApiOptions) => `${org(o)}/resources/${seg(o.resource as string)}/grants`;
  paged(
    apiCommand(group, 'list', 'the grants on a resource', ['rsvp grants list --org acme --resource res_123']),
  )
    .requiredOption(...ORG)
    .requiredOption('--resource <id>', 'the resource')
    .action(run(async (client, o) => print(await client.call('GET', `${base(o)}${query(pageParams(o))}`))));
  apiCommand(group, 'set <user_id>', "set a user's actions on a resource", [
    'rsvp grants set usr_123 --org acme --resource res_123 --actions read,write',
  ])
    .requiredOption(...ORG)
    .requiredOption('--resource <id>', 'the resource')
    .requiredOption('--actions <list>', 'comma-separated actions', listOption)
    .action(
      run(async (client, o, user) =>
        print(await client.call('PUT', `${base(o)}/${seg(user!)}`, { actions: o.actions })),
      ),
    );
  apiCommand(group, 'remove <user_id>', "remove a user's grant on a resource", [
    'rsvp grants remove usr_123 --org acme --resource res_123',
  ])
    .requiredOption(...ORG)
    .requiredOption('--resource <id>', 'the resource')
    .action(
      run(async (client, o, user) => {
        await client.call('DELETE', `${base(o)}/${seg(user!)}`);
        process.stdout.write(`removed ${user}\n`);
      }),
    );
}

export function organizationGroups(program: Command) {
  organizationCommands(program);
  memberCommands(program);
  resourceCommands(program);
  grantCommands(program);
}
