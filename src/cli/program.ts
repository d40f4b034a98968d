import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { buildApp } from '../app.ts';
import { bootstrap } from '../bootstrap.ts';
import { ConfigError } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { systemClock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { serve } from '../main.ts';
import { openRuntime } from '../runtime.ts';
import { startupProblem } from '../startup-errors.ts';
import { accountGroups } from './account.ts';
import { ApiError, ConnectionError, cliConfig, EXIT, UsageError } from './client.ts';
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
arguments, a missing file, an invalid CSV row; nothing was sent), 3 cannot connect.`;

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

/**
 * A word where a command is expected that names none. Commander shows the parent's help and
 * exits 0 for `rsvp nosuch --help`; a typo must be an error instead.
 */
function unknownCommand(command: Command, args: string[]): string | null {
  const [first, ...rest] = args;
  if (command.commands.length === 0 || !first || first.startsWith('-')) return null;
  if (first === 'help') return unknownCommand(command, rest);
  const sub = command.commands.find((c) => c.name() === first || c.aliases().includes(first));
  if (!sub) return command.parent ? `${command.name()} ${first}` : first;
  return unknownCommand(sub, rest);
}

function exitWith(code: number, message?: string): never {
  if (message) process.stderr.write(`rsvp: ${message.replaceAll('\n', '\nrsvp: ')}\n`);
  process.exit(code);
}

const SERVER_COMMANDS = new Set(['serve', 'migrate', 'bootstrap']);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
]);

/** A database (direct mode) that could not be reached, anywhere in the cause chain. */
function unreachable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    if (UNREACHABLE.has(String((cause as { code?: unknown }).code))) return true;
    cause = cause instanceof AggregateError ? cause.errors[0] : (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** Maps every failure to one message and a documented exit code. */
function handle(error: unknown, command: string | undefined): never {
  // serve, migrate and bootstrap keep the exit status 1 that deployments already check on start-up failures.
  const startup = SERVER_COMMANDS.has(command ?? '');
  if (error instanceof CommanderError) exitWith(error.exitCode === 0 ? EXIT.ok : EXIT.usage); // commander already printed it
  if (error instanceof UsageError) exitWith(EXIT.usage, error.message);
  if (error instanceof ConnectionError) exitWith(EXIT.connection, error.message);
  if (error instanceof ApiError) exitWith(EXIT.api, error.message);
  if (error instanceof AppError) exitWith(EXIT.api, `${error.code}: ${error.message}`);
  if (error instanceof ConfigError)
    exitWith(startup ? EXIT.api : EXIT.usage, startupProblem(error)?.join('\n'));
  const problem = startupProblem(error);
  if (problem) exitWith(unreachable(error) && !startup ? EXIT.connection : EXIT.api, problem.join('\n'));
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(EXIT.api);
}

async function main(argv: string[]) {
  const program = buildProgram();
  const unknown = unknownCommand(program, argv);
  if (unknown) throw new UsageError(`unknown command "${unknown}"; see rsvp --help`);
  if (argv.length === 0) {
    program.outputHelp();
    return;
  }
  await program.parseAsync(argv, { from: 'user' });
}

main(process.argv.slice(2)).catch((error: unknown) => handle(error, process.argv[2]));
