import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { buildApp } from '../app.ts';
import { bootstrap } from '../bootstrap.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { systemClock } from '../lib/clock.ts';
import { serve } from '../main.ts';
import { openRuntime } from '../runtime.ts';
import { accountGroups } from './account.ts';
import { cliConfig } from './client.ts';
import { importCommand } from './import.ts';
import { invitationCommands } from './invitations.ts';
import { joiningGroups } from './joining.ts';
import { organizationGroups } from './organizations.ts';
import { templateGroups } from './templates.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const OVERVIEW = `
Commands that act on data talk to a running server when --url and --api-key (or RSVP_URL and
RSVP_API_KEY) are given, and to the database directly otherwise (as the first instance admin,
or --as <email>). Run \`rsvp <command> --help\` for a command's options and examples.

Exit codes: 0 ok, 1 the API refused (its error and details on stderr), 2 usage error (bad
arguments, a missing file, an invalid CSV row; nothing was sent), 3 cannot connect (refused,
no answer within --timeout / RSVP_TIMEOUT seconds, default 30, or an answer rsvp never sends).`;

function serverCommands(program: Command) {
  program
    .command('serve')
    .description('start the service (SQLite under ./data unless DATABASE_URL is set)')
    .addHelpText('after', '\nConfiguration comes from the environment (see README).\n')
    .action(async () => {
      await serve();
    });
  program
    .command('migrate')
    .description('bring the database schema up to date and exit')
    .action(async () => {
      const database = openDatabase({ url: cliConfig().databaseUrl });
      try {
        const applied = await migrateToLatest(database);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
      } finally {
        await database.close();
      }
    });
  program
    .command('bootstrap')
    .description('create the first admin, an organization they own and an API key (printed once)')
    .requiredOption('--email <address>', "the admin's email address")
    .requiredOption('--org <slug>', "the organization's slug")
    .option('--org-name <name>', "the organization's display name (default: the slug)")
    .option('--name <display name>', "the admin's display name")
    .option('--password-stdin', "read the admin's password from standard input")
    .addHelpText(
      'after',
      `\nExamples:\n  $ rsvp bootstrap --email admin@example.com --org acme --name "Ada Admin"\n  $ echo 'a long passphrase' | rsvp bootstrap --email admin@example.com --org acme --password-stdin\n`,
    )
    .action(async (values: Record<string, string | boolean | undefined>) => {
      const password = values.passwordStdin ? readFileSync(0, 'utf8').trim() : undefined;
      const config = cliConfig();
      const { database, keys } = await openRuntime(config);
      try {
        const { services } = await buildApp({
          database,
          keys,
          clock: systemClock,
          publicUrl: config.publicUrl,
        });
        const result = await bootstrap(database, services, {
          email: values.email as string,
          password,
          displayName: values.name as string | undefined,
          organizationSlug: values.org as string,
          organizationName: (values.orgName as string | undefined) ?? (values.org as string),
        });
        process.stdout.write(
          `admin:        ${result.user.email} (${result.user.id})\n` +
            `organization: ${result.organization.slug} (${result.organization.id})\n` +
            `api key:      ${result.secret}\n` +
            'Keep the key now: it is shown only once.\n',
        );
      } finally {
        await database.close();
      }
    });
}

export function buildProgram(): Command {
  const program = new Command('rsvp')
    .description('rsvp — invitations service')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', OVERVIEW);
  serverCommands(program);
  importCommand(program);
  invitationCommands(program);
  organizationGroups(program);
  templateGroups(program);
  accountGroups(program);
  joiningGroups(program);
  return program;
}
