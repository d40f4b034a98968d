import { type Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { AppError } from '../lib/errors.ts';
import { startupProblem } from '../startup-errors.ts';
import { ApiError, ConnectionError, EXIT, UsageError } from './client.ts';
import { buildProgram } from './commands.ts';

/**
 * A word where a command is expected that names none, and the help to read instead. Commander
 * shows the parent's help and exits 0 for `rsvp nosuch --help`; a typo must be an error instead.
 */
function unknownCommand(command: Command, args: string[]): string | null {
  const [first, ...rest] = args;
  if (command.commands.length === 0 || !first || first.startsWith('-')) return null;
  if (first === 'help') return unknownCommand(command, rest);
  const sub = command.commands.find((c) => c.name() === first || c.aliases().includes(first));
  if (!sub) {
    const path = command.parent ? `rsvp ${command.name()}` : 'rsvp';
    return `unknown command "${command.parent ? `${command.name()} ` : ''}${first}"; see ${path} --help`;
  }
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
  if (unknown) throw new UsageError(unknown);
  if (argv.length === 0) {
    program.outputHelp();
    return;
  }
  await program.parseAsync(argv, { from: 'user' });
}

main(process.argv.slice(2)).catch((error: unknown) => handle(error, process.argv[2]));
