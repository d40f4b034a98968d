import { type Command, InvalidArgumentError } from 'commander';
import { type Client, type ConnectOptions, withClient } from './client.ts';

export interface ApiOptions extends ConnectOptions {
  json?: boolean;
  [option: string]: unknown;
}

/** A subcommand that talks to the API: the connection options, and examples under its help. */
export function apiCommand(parent: Command, spec: string, description: string, examples: string[] = []) {
  const command = parent
    .command(spec)
    .description(description)
    .option('--url <url>', 'a running server (or RSVP_URL); without it, the database directly')
    .option('--api-key <key>', 'the API key for --url (or RSVP_API_KEY)')
    .option('--as <email>', 'direct mode: act as this user (default: the first instance admin)')
    .option(
      '--timeout <seconds>',
      'with --url: how long to wait for each answer (or RSVP_TIMEOUT; default 30)',
    );
  if (examples.length)
    command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
  return command;
}

/** The action for an API command: positional arguments, then the options, then a client. */
export function run(work: (client: Client, options: ApiOptions, ...args: string[]) => Promise<void>) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = command.opts<ApiOptions>();
    const args = received.slice(0, -2) as string[];
    await withClient(options, (client) => work(client, options, ...args));
  };
}

export function print(value: unknown) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function listOption(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ];
}

export function intOption(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

/** `--metadata key=value`, repeatable. */
export function pairOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected key=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

export function jsonOption(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected JSON');
  }
}

/** Adds --page-size and --page-token to a list command. */
export function paged(command: Command) {
  return command
    .option('--page-size <n>', 'items per page (the server caps it)', intOption)
    .option('--page-token <token>', 'the next_page_token of the previous page');
}

export function pageParams(options: ApiOptions) {
  return {
    page_size: options.pageSize as number | undefined,
    page_token: options.pageToken as string | undefined,
  };
}

/** Drops the fields the user did not set, so a PATCH changes only what was asked. */
export function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
