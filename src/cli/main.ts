import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildApp } from '../app.ts';
import { bootstrap } from '../bootstrap.ts';
import { loadConfig } from '../config.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { recordedPublicUrl } from '../instance/public-url.ts';
import { systemClock } from '../lib/clock.ts';
import { canonicalEmail } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { serve } from '../main.ts';
import { openRuntime } from '../runtime.ts';
import { startupProblem } from '../startup-errors.ts';
import { findFirstInstanceAdmin, findUserByCanonicalEmail } from '../users/user.repository.ts';
import { parseCsv } from './csv.ts';

const HELP: Record<string, string> = {
  '': `rsvp — invitations service

usage: rsvp <command> [options]

commands:
  serve                 start the service (SQLite under ./data unless DATABASE_URL is set)
  migrate               bring the database schema up to date
  bootstrap             create the first admin, organization and API key
  invite                invite one or more emails, or a CSV file
  invitations list      list an organization's invitations
  keys create|list|revoke   manage your API keys

Commands that act on data talk to a running server when --url and --api-key (or RSVP_URL and
RSVP_API_KEY) are given, and to the database directly otherwise. Run \`rsvp <command> --help\`.`,
  serve: `rsvp serve — start the service. Configuration comes from the environment (see README).`,
  migrate: `rsvp migrate — apply pending database migrations and exit.`,
  bootstrap: `rsvp bootstrap --email <address> --org <slug> [--org-name <name>] [--name <display name>] [--password-stdin]

Creates the instance admin, an organization they own and an API key, and prints the key once.`,
  invite: `rsvp invite --org <org> [<email>...] [--csv <file>] [--role <role>] [--no-email] [--as <email>]

CSV: a header row with an "email" column and optional "role" and "message" columns.
Prints one line per row: row number, email, result, and the invitation id or the error.`,
  invitations: `rsvp invitations list --org <org> [--status pending,...] [--q <text>] [--page-size <n>] [--json]`,
  keys: `rsvp keys create --name <name> | rsvp keys list | rsvp keys revoke <key_id>`,
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  as: { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  org: { type: 'string' },
  'org-name': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  role: { type: 'string' },
  csv: { type: 'string' },
  'no-email': { type: 'boolean' },
  status: { type: 'string' },
  q: { type: 'string' },
  'page-size': { type: 'string' },
  json: { type: 'boolean' },
} as const;

interface Client {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

function fail(message: string): never {
  process.stderr.write(`rsvp: ${message}\n`);
  process.exit(1);
}

/** The configuration, with a warning on stderr for each variable that looks like rsvp's but is not read. */
function cliConfig() {
  const config = loadConfig();
  for (const warning of config.warnings) process.stderr.write(`rsvp: warning: ${warning}\n`);
  return config;
}

/**
 * The base of the links this command writes: RSVP_PUBLIC_URL when set, else the URL the server
 * on this database recorded when it started, else (no server started yet) HOST and PORT, with
 * a warning since the server may answer elsewhere.
 */
async function linkBase(database: Database, configured: string): Promise<string> {
  if (process.env.RSVP_PUBLIC_URL) return configured;
  const recorded = await recordedPublicUrl(database.db);
  if (recorded) return recorded;
  process.stderr.write(
    `rsvp: warning: no server has started on this database yet, so links point to ${configured} (from HOST and PORT); set RSVP_PUBLIC_URL to the address invitees will open\n`,
  );
  return configured;
}

/** A client for a running server, or an in-process app acting as an operator over the database. */
async function connect(values: {
  url?: string | undefined;
  'api-key'?: string | undefined;
  as?: string | undefined;
}) {
  const url = values.url ?? process.env.RSVP_URL;
  const apiKey = values['api-key'] ?? process.env.RSVP_API_KEY;
  if (url) {
    if (!apiKey) fail('--url needs --api-key (or RSVP_API_KEY)');
    return {
      async call(method: string, path: string, body?: unknown) {
        const response = await fetch(new URL(path, url), {
          method,
          headers: {
            authorization: `Bearer ${apiKey}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : null };
      },
      async close() {},
    } satisfies Client;
  }
  const config = cliConfig();
  const { database, keys } = await openRuntime(config);
  const publicUrl = await linkBase(database, config.publicUrl);
  const operatorEmail = values.as;
  const operator = operatorEmail
    ? await findUserByCanonicalEmail(database.db, canonicalEmail(operatorEmail))
    : await findFirstInstanceAdmin(database.db);
  if (!operator)
    fail(operatorEmail ? `no user ${operatorEmail}` : 'no instance admin yet: run `rsvp bootstrap` first');
  const token = randomBytes(32).toString('base64url');
  const { app } = await buildApp({
    database,
    keys,
    clock: systemClock,
    publicUrl,
    operator: { token, userId: operator.id },
  });
  return {
    async call(method: string, path: string, body?: unknown) {
      const response = await app.inject({
        method: method as 'GET',
        url: path,
        headers: { authorization: `Operator ${token}` },
        ...(body ? { payload: body as object } : {}),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    },
    async close() {
      await app.close();
      await database.close();
    },
  } satisfies Client;
}

function expectOk(result: { status: number; body: unknown }): Record<string, unknown> {
  if (result.status >= 400) {
    const problem = result.body as { detail?: string; code?: string };
    fail(`${result.status} ${problem?.code ?? ''}: ${problem?.detail ?? JSON.stringify(result.body)}`);
  }
  return result.body as Record<string, unknown>;
}

function progress(done: number, total: number) {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

async function invite(values: Record<string, unknown>, emails: string[]) {
  const org = values.org as string | undefined;
  if (!org) fail('invite needs --org');
  const rows: { email: string; role?: string; message?: string }[] = emails.map((email) => ({
    email,
    ...(values.role ? { role: values.role as string } : {}),
  }));
  if (values.csv) {
    for (const record of parseCsv(readFileSync(values.csv as string, 'utf8'))) {
      if (!record.email) fail(`CSV row without an email column: ${JSON.stringify(record)}`);
      rows.push({
        email: record.email,
        ...(record.role || values.role ? { role: record.role || (values.role as string) } : {}),
        ...(record.message ? { message: record.message } : {}),
      });
    }
  }
  if (rows.length === 0) fail('nothing to invite: give emails or --csv');
  const client = await connect(values);
  let created = 0;
  try {
    for (let start = 0; start < rows.length; start += 100) {
      const chunk = rows.slice(start, start + 100);
      const result = expectOk(
        await client.call('POST', `/v1/organizations/${encodeURIComponent(org)}/invitations/batch`, {
          invitations: chunk,
          send_email: !values['no-email'],
        }),
      ) as {
        results: {
          index: number;
          status: number;
          invitation?: { id: string; accept_url?: string };
          error?: { code: string; detail?: string };
        }[];
      };
      for (const row of result.results) {
        const n = start + row.index + 1;
        const email = chunk[row.index]!.email;
        if (row.invitation) {
          created++;
          const link = row.invitation.accept_url ? `\t${row.invitation.accept_url}` : '';
          process.stdout.write(`${n}\t${email}\tinvited\t${row.invitation.id}${link}\n`);
        } else {
          process.stdout.write(
            `${n}\t${email}\tfailed\t${row.status} ${row.error?.code}: ${row.error?.detail}\n`,
          );
        }
      }
      progress(Math.min(start + 100, rows.length), rows.length);
    }
  } finally {
    await client.close();
  }
  process.stderr.write(`${created} invited, ${rows.length - created} failed\n`);
  if (created < rows.length) process.exitCode = 2;
}

async function main(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const [command = '', sub, ...rest] = positionals;
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(`${HELP[command === 'help' ? (sub ?? '') : command] ?? HELP['']}\n`);
    return;
  }
  switch (command) {
    case 'serve':
      await serve();
      return;
    case 'migrate': {
      const database = openDatabase({ url: cliConfig().databaseUrl });
      const applied = await migrateToLatest(database);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
      await database.close();
      return;
    }
    case 'bootstrap': {
      if (!values.email || !values.org) fail('bootstrap needs --email and --org (see --help)');
      const password = values['password-stdin'] ? readFileSync(0, 'utf8').trim() : undefined;
      const config = cliConfig();
      const { database, keys } = await openRuntime(config);
      const { services } = await buildApp({
        database,
        keys,
        clock: systemClock,
        publicUrl: config.publicUrl,
      });
      const result = await bootstrap(database, services, {
        email: values.email,
        password,
        displayName: values.name,
        organizationSlug: values.org,
        organizationName: values['org-name'] ?? values.org,
      });
      process.stdout.write(
        `admin:        ${result.user.email} (${result.user.id})\n` +
          `organization: ${result.organization.slug} (${result.organization.id})\n` +
          `api key:      ${result.secret}\n` +
          'Keep the key now: it is shown only once.\n',
      );
      await database.close();
      return;
    }
    case 'invite':
      await invite(
        values,
        [sub, ...rest].filter((x): x is string => Boolean(x)),
      );
      return;
    case 'invitations': {
      if (sub !== 'list') fail('usage: rsvp invitations list --org <org>');
      if (!values.org) fail('invitations list needs --org');
      const query = new URLSearchParams();
      if (values.status) query.set('status', values.status);
      if (values.q) query.set('q', values.q);
      query.set('page_size', values['page-size'] ?? '50');
      const client = await connect(values);
      const body = expectOk(
        await client.call('GET', `/v1/organizations/${encodeURIComponent(values.org)}/invitations?${query}`),
      ) as {
        invitations: {
          id: string;
          email: string;
          status: string;
          role: string | null;
          expire_time: string;
        }[];
      };
      await client.close();
      if (values.json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      else {
        for (const inv of body.invitations) {
          process.stdout.write(
            `${inv.id}\t${inv.email}\t${inv.status}\t${inv.role ?? '-'}\t${inv.expire_time}\n`,
          );
        }
      }
      return;
    }
    case 'keys': {
      const client = await connect(values);
      try {
        if (sub === 'create') {
          if (!values.name) fail('keys create needs --name');
          const key = expectOk(await client.call('POST', '/v1/api-keys', { name: values.name }));
          process.stdout.write(`${key.id}\t${key.secret}\nKeep the secret now: it is shown only once.\n`);
        } else if (sub === 'list') {
          const body = expectOk(await client.call('GET', '/v1/api-keys?page_size=100')) as {
            api_keys: { id: string; name: string; hint: string; revoke_time: string | null }[];
          };
          for (const key of body.api_keys) {
            process.stdout.write(
              `${key.id}\t${key.name}\t${key.hint}…\t${key.revoke_time ? 'revoked' : 'active'}\n`,
            );
          }
        } else if (sub === 'revoke') {
          if (!rest[0]) fail('keys revoke needs a key id');
          expectOk(await client.call('DELETE', `/v1/api-keys/${encodeURIComponent(rest[0])}`));
          process.stdout.write(`revoked ${rest[0]}\n`);
        } else fail('usage: rsvp keys create|list|revoke');
      } finally {
        await client.close();
      }
      return;
    }
    default:
      fail(`unknown command "${command}"; see rsvp --help`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof AppError) fail(`${error.code}: ${error.message}`);
  const problem = startupProblem(error);
  if (problem) fail(problem.join('\nrsvp: '));
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    fail(error.message);
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
