import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { recordedPublicUrl } from '../instance/public-url.ts';
import { systemClock } from '../lib/clock.ts';
import { canonicalEmail } from '../lib/email.ts';
import { openRuntime } from '../runtime.ts';
import { findFirstInstanceAdmin, findUserByCanonicalEmail } from '../users/user.repository.ts';

/** Exit codes, documented in README (CLI): scripts branch on them. */
export const EXIT = { ok: 0, api: 1, usage: 2, connection: 3 } as const;

/** Wrong arguments or input (a missing file, an invalid CSV row): nothing was sent. Exit 2. */
export class UsageError extends Error {}

/** The server could not be reached at all, did not answer in time, or is not an rsvp server. Exit 3. */
export class ConnectionError extends Error {}

/** Seconds a remote call may take, unless --timeout or RSVP_TIMEOUT say otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface Problem {
  status?: number;
  code?: string;
  title?: string;
  detail?: string;
  errors?: { pointer?: string; detail?: string }[];
  error?: string;
  error_description?: string;
  [field: string]: unknown;
}

/** The server answered with an error. Exit 1. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(formatProblem(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

const PROBLEM_ENVELOPE = new Set([
  'type',
  'title',
  'status',
  'detail',
  'code',
  'instance',
  'errors',
  'error',
  'error_description',
]);

/**
 * A problem+json answer as lines: status, code and detail, then each `errors` entry (which field,
 * what is wrong — allowed values included) and any further member the server added.
 */
export function formatProblem(status: number, problem: Problem | string | null, indent = '  '): string {
  if (!problem || typeof problem !== 'object')
    return `${status}${problem ? `: ${String(problem).slice(0, 500)}` : ''}`;
  // OAuth endpoints answer RFC 6749 errors (`error`, `error_description`) instead of problem+json.
  const code = problem.code ?? problem.error ?? problem.title ?? 'error';
  const detail = problem.detail ?? problem.error_description ?? problem.title ?? '';
  const lines = [`${status} ${code}: ${detail}`];
  for (const error of problem.errors ?? []) lines.push(`${indent}${error.pointer || '/'}: ${error.detail}`);
  for (const [field, value] of Object.entries(problem)) {
    if (PROBLEM_ENVELOPE.has(field) || value === undefined) continue;
    lines.push(`${indent}${field}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return lines.join('\n');
}

export interface ConnectOptions {
  url?: string | undefined;
  apiKey?: string | undefined;
  as?: string | undefined;
  /** Seconds, as given to --timeout. */
  timeout?: string | undefined;
}

export interface Client {
  /** The answer's body; throws ApiError on 4xx/5xx and ConnectionError when nothing answered. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** The configuration, with a warning on stderr for each variable that looks like rsvp's but is not read. */
export function cliConfig() {
  const config = loadConfig();
  for (const warning of config.warnings) process.stderr.write(`rsvp: warning: ${warning}\n`);
  return config;
}

/** A file's text, or a one-line usage error naming it. */
export function readInputFile(path: string): string {
  return readInputBytes(path).toString('utf8');
}

/** A file's bytes, or a one-line usage error naming it. */
export function readInputBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (error as Error).message;
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
}

function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The body of a success, which rsvp always sends as JSON except for a DELETE or a 202 with none.
 * Anything else means --url leads somewhere that is not rsvp (a proxy page, another service).
 */
function answer<T>(status: number, body: unknown, method: string, where: string): T {
  if (status >= 400) throw new ApiError(status, body as Problem);
  const empty = body === null;
  if (empty ? method === 'DELETE' || status === 202 : typeof body === 'object') return body as T;
  const got = empty ? 'no body' : `"${String(body).slice(0, 60)}"`;
  throw new ConnectionError(
    `the answer from ${where} (${status} with ${got}) is not what an rsvp server sends; check --url / RSVP_URL`,
  );
}

/** --timeout or RSVP_TIMEOUT, in seconds. */
function timeoutSeconds(given: string | undefined): number {
  const text = given ?? process.env.RSVP_TIMEOUT;
  if (text === undefined || text === '') return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--timeout / RSVP_TIMEOUT must be a number of seconds above 0, not "${text}"`);
  return seconds;
}

/** `path` under the base URL's own path, so an rsvp behind a proxy at /prefix keeps it. */
function under(base: URL, path: string): URL {
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return new URL(`${prefix}${path.replace(/^\//, '')}`, base.origin);
}

/** Why fetch failed, from its cause chain (Node wraps the socket error in `TypeError: fetch failed`). */
function networkReason(error: unknown): string {
  let cause: unknown = error;
  let reason = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && cause; depth++) {
    if (cause instanceof Error && cause !== error) reason = cause.message;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code === 'ECONNREFUSED') return 'connection refused';
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
      if (code === 'ECONNRESET') return 'connection reset';
      return code;
    }
    if (cause instanceof AggregateError && cause.errors.length) cause = cause.errors[0];
    else cause = (cause as { cause?: unknown }).cause;
  }
  return reason;
}

function remoteClient(url: string, apiKey: string, seconds: number): Client {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  const shown = `${base.origin}${base.pathname.replace(/\/$/, '')}`;
  return {
    async call<T>(method: string, path: string, body?: unknown) {
      const target = under(base, path);
      try {
        const response = await fetch(target, {
          method,
          headers: {
            authorization: `Bearer ${apiKey}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(seconds * 1000),
        });
        const text = await response.text();
        return answer<T>(response.status, parseBody(text), method, `${method} ${target.pathname}`);
      } catch (error) {
        if (error instanceof ApiError || error instanceof ConnectionError) throw error;
        if ((error as Error).name === 'TimeoutError')
          throw new ConnectionError(
            `no answer from ${shown} within ${seconds} s (--timeout or RSVP_TIMEOUT to wait longer)`,
          );
        throw new ConnectionError(
          `cannot reach the rsvp server at ${shown}: ${networkReason(error)}; start it, or fix --url / RSVP_URL`,
        );
      }
    },
    async close() {},
  };
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

/**
 * "Direct" mode: the app built in-process over the database, called through `inject` with a
 * per-process operator credential, so commands go through the same routes and rules as the API.
 */
async function directClient(as: string | undefined): Promise<Client> {
  const config = cliConfig();
  const { database, keys } = await openRuntime(config);
  try {
    const publicUrl = await linkBase(database, config.publicUrl);
    const operator = as
      ? await findUserByCanonicalEmail(database.db, canonicalEmail(as))
      : await findFirstInstanceAdmin(database.db);
    if (!operator)
      throw new UsageError(as ? `no user ${as}` : 'no instance admin yet: run `rsvp bootstrap` first');
    const token = randomBytes(32).toString('base64url');
    const { app } = await buildApp({
      database,
      keys,
      clock: systemClock,
      publicUrl,
      operator: { token, userId: operator.id },
    });
    return {
      async call<T>(method: string, path: string, body?: unknown) {
        const response = await app.inject({
          method: method as 'GET',
          url: path,
          headers: { authorization: `Operator ${token}` },
          ...(body !== undefined ? { payload: body as object } : {}),
        });
        return answer<T>(response.statusCode, parseBody(response.body), method, `${method} ${path}`);
      },
      async close() {
        await app.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** A client for a running server (--url and --api-key), or direct mode over the database. */
export async function connect(options: ConnectOptions): Promise<Client> {
  const url = options.url ?? process.env.RSVP_URL;
  const apiKey = options.apiKey ?? process.env.RSVP_API_KEY;
  if (url) {
    if (!apiKey) throw new UsageError('--url needs --api-key (or RSVP_API_KEY)');
    return remoteClient(url, apiKey, timeoutSeconds(options.timeout));
  }
  return directClient(options.as);
}

/** Runs `work` with a client and closes it whatever happens. */
export async function withClient<T>(
  options: ConnectOptions,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(options);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** A query string from the options that are set. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A path segment from user input. */
export const seg = (value: string) => encodeURIComponent(value);
