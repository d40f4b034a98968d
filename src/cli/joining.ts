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
  print,
  run,
} from './command.ts';

const org = (o: ApiOptions) => `/v1/organizations/${seg(o.org as string)}`;
const ORG = ['--org <org>', 'organization id or slug'] as const;

function joinLinkCommands(program: Command) {
  const group = program
    .command('join-links')
    .description("an organization's multi-use join links: create, list, show uses, rotate, revoke");
  apiCommand(group, 'create', 'create a join link (its token is printed only now)', [
    'rsvp join-links create --org acme --role member --max-uses 50 --ttl 604800',
    'rsvp join-links create --org acme --allowed-domain partner.example --approval',
    'rsvp join-links create --org acme --resource res_123 --actions read',
  ])
    .requiredOption(...ORG)
    .option('--role <role>', "role joiners get (default: the organization's default role)")
    .option('--resource <resource_id>', 'a resource link: the resource to share')
    .option('--actions <list>', 'a resource link: comma-separated actions', listOption)
    .option('--max-uses <n>', 'how many people may use it (default: unlimited)', intOption)
    .option('--ttl <seconds>', 'lifetime in seconds: 3600 to 7776000 (default 7 days)', intOption)
    .option('--allowed-domain <domain>', 'only addresses in this domain (or its subdomains) may use it')
    .option('--approval', 'joins wait for an admin to approve them')
    .option('--description <text>', 'a note for admins: where the link was posted')
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'POST',
            `${org(o)}/join-links`,
            defined({
              role: o.role,
              resource_id: o.resource,
              actions: o.actions,
              max_uses: o.maxUses,
              ttl_seconds: o.ttl,
              allowed_domain: o.allowedDomain,
              requires_approval: o.approval === true ? true : undefined,
              description: o.description,
            }),
          ),
        ),
      ),
    );
  paged(
    apiCommand(group, 'list', 'join links, newest first, with use counts', [
      'rsvp join-links list --org acme',
    ]),
  )
    .requiredOption(...ORG)
    .action(
      run(async (client, o) =>
        print(await client.call('GET', `${org(o)}/join-links${query(pageParams(o))}`)),
      ),
    );
  apiCommand(group, 'get <join_link_id>', 'show a join link', ['rsvp join-links get jl_123 --org acme'])
    .requiredOption(...ORG)
    .action(
      run(async (client, o, id) => print(await client.call('GET', `${org(o)}/join-links/${seg(id!)}`))),
    );
  paged(
    apiCommand(group, 'uses <join_link_id>', 'who used a join link', [
      'rsvp join-links uses jl_123 --org acme',
    ]),
  )
    .requiredOption(...ORG)
    .action(
      run(async (client, o, id) =>
        print(await client.call('GET', `${org(o)}/join-links/${seg(id!)}/uses${query(pageParams(o))}`)),
      ),
    );
  for (const [verb, description] of [
    ['revoke', 'revoke a join link: it stops working at once'],
    ['rotate', 'replace a join link’s token (the new one is printed); the old one stops working'],
  ] as const) {
    apiCommand(group, `${verb} <join_link_id>`, description, [`rsvp join-links ${verb} jl_123 --org acme`])
      .requiredOption(...ORG)
      .action(
        run(async (client, o, id) =>
          print(await client.call('POST', `${org(o)}/join-links/${seg(id!)}/${verb}`)),
        ),
      );
  }
  joinCommands(group, program);
}

/** The joiner's side: what a link offers, and joining through it. */
function joinCommands(group: Command, program: Command) {
  apiCommand(group, 'preview', 'what a join link offers (no sign-in needed)', [
    'rsvp join-links preview --token rsvp_jl_…',
  ])
    .requiredOption('--token <token>', 'the join link token')
    .action(
      run(async (client, o) =>
        print(await client.call('POST', '/v1/join-links/preview', { token: o.token })),
      ),
    );
  apiCommand(program, 'join <token>', 'join an organization through a join link, as yourself', [
    'rsvp join rsvp_jl_… --url https://rsvp.example.com --api-key rsvp_sk_…',
  ]).action(run(async (client, _o, token) => print(await client.call('POST', '/v1/join', { token }))));
}

function joinRequestCommands(program: Command) {
  const group = program
    .command('join-requests')
    .description('the approval queue: list, approve or reject requests to join');
  paged(
    apiCommand(group, 'list', 'join requests, newest first', [
      'rsvp join-requests list --org acme --status pending',
    ]),
  )
    .requiredOption(...ORG)
    .option('--status <list>', 'comma-separated: pending, approved, rejected, joined')
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'GET',
            `${org(o)}/join-requests${query({ status: o.status as string | undefined, ...pageParams(o) })}`,
          ),
        ),
      ),
    );
  paged(
    apiCommand(group, 'mine', 'your own requests to join organizations', [
      'rsvp join-requests mine --status pending',
    ]),
  )
    .option('--status <list>', 'comma-separated: pending, approved, rejected, joined')
    .action(
      run(async (client, o) =>
        print(
          await client.call(
            'GET',
            `/v1/me/join-requests${query({ status: o.status as string | undefined, ...pageParams(o) })}`,
          ),
        ),
      ),
    );
  for (const verb of ['approve', 'reject'] as const) {
    apiCommand(group, `${verb} <ids...>`, `${verb} one or more pending join requests`, [
      `rsvp join-requests ${verb} jr_1 jr_2 --org acme`,
    ])
      .requiredOption(...ORG)
      .option('--reason <text>', 'told to the requesters by email')
      .action(async (ids: string[], _options: unknown, command: Command) => {
        await run(async (client, o) => {
          const answer = (await client.call('POST', `${org(o)}/join-requests/${verb}`, {
            ids,
            ...defined({ reason: o.reason }),
          })) as { failed: number };
          print(answer);
          if (answer.failed > 0) process.exitCode = 1;
        })(command);
      });
  }
}

function domainCommands(program: Command) {
  const group = program
    .command('domains')
    .description("an organization's verified domains: add, verify, list, change, remove");
  const DOMAIN = (o: ApiOptions, domain: string) => `${org(o)}/domains/${seg(domain)}`;
  apiCommand(group, 'add <domain>', 'add a domain; prints the TXT record to publish', [
    'rsvp domains add example.com --org acme --join-mode auto_join --role member',
  ])
    .requiredOption(...ORG)
    .option('--join-mode <mode>', 'offer (default), auto_join or none')
    .option('--role <role>', "role joiners get (default: the organization's default role)")
    .option('--approval', 'joins through the domain wait for an admin')
    .action(
      run(async (client, o, domain) =>
        print(
          await client.call(
            'POST',
            `${org(o)}/domains`,
            defined({
              domain,
              join_mode: o.joinMode,
              role: o.role,
              requires_approval: o.approval === true ? true : undefined,
            }),
          ),
        ),
      ),
    );
  apiCommand(group, 'verify <domain>', 'look up the TXT record now and verify the domain', [
    'rsvp domains verify example.com --org acme',
  ])
    .requiredOption(...ORG)
    .action(
      run(async (client, o, domain) => print(await client.call('POST', `${DOMAIN(o, domain!)}/verify`))),
    );
  apiCommand(group, 'get <domain>', 'show a domain, its status and TXT record', [
    'rsvp domains get example.com --org acme',
  ])
    .requiredOption(...ORG)
    .action(run(async (client, o, domain) => print(await client.call('GET', DOMAIN(o, domain!)))));
  apiCommand(group, 'list', "an organization's domains", ['rsvp domains list --org acme'])
    .requiredOption(...ORG)
    .action(run(async (client, o) => print(await client.call('GET', `${org(o)}/domains`))));
  apiCommand(group, 'update <domain>', 'change how a domain lets people join', [
    'rsvp domains update example.com --org acme --join-mode offer --no-approval',
  ])
    .requiredOption(...ORG)
    .option('--join-mode <mode>', 'offer, auto_join or none')
    .option('--role <role>', 'role joiners get')
    .option('--approval', 'joins wait for an admin')
    .option('--no-approval', 'joins need no approval')
    .action(
      run(async (client, o, domain) => {
        const fields = defined({ join_mode: o.joinMode, role: o.role, requires_approval: o.approval });
        if (Object.keys(fields).length === 0)
          throw new UsageError('domains update: nothing to change (see --help)');
        print(await client.call('PATCH', DOMAIN(o, domain!), fields));
      }),
    );
  apiCommand(group, 'remove <domain>', 'remove a domain: nobody joins through it any more', [
    'rsvp domains remove example.com --org acme',
  ])
    .requiredOption(...ORG)
    .action(
      run(async (client, o, domain) => {
        await client.call('DELETE', DOMAIN(o, domain!));
        process.stdout.write(`removed ${domain}\n`);
      }),
    );
}

export function joiningGroups(program: Command) {
  joinLinkCommands(program);
  joinRequestCommands(program);
  domainCommands(program);
}
