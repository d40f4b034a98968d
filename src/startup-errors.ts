import { ConfigError, loadConfig, redactUrl } from './config.ts';

/**
 * What a newcomer meets when starting rsvp with a wrong setting — a bad variable, a database
 * that is not there, a port in use — as lines saying what failed, where, and how to fix it.
 * Recognised by PostgreSQL SQLSTATEs and OS error codes, whichever driver raised them. Null
 * for anything else (a bug: the caller shows the stack).
 */
export function startupProblem(
  error: unknown,
  env: Record<string, string | undefined> = process.env,
): string[] | null {
  if (error instanceof ConfigError)
    return error.problems.map((problem) => `invalid configuration: ${problem}`);
  const failure = codedError(error);
  if (!failure) return null;
  const database = databaseIn(env);
  const at = failure.address ? `${failure.address}${failure.port ? `:${failure.port}` : ''}` : database.where;
  switch (failure.code) {
    case 'ECONNREFUSED':
      return failure.fetch
        ? [`cannot reach the rsvp server at ${at}: connection refused; start it, or fix --url / RSVP_URL`]
        : [
            `cannot connect to PostgreSQL at ${at}: connection refused; start PostgreSQL there, or fix the host and port in DATABASE_URL`,
          ];
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return [
        `cannot resolve the host ${failure.hostname ?? at}: fix the host in ${failure.fetch ? '--url / RSVP_URL' : 'DATABASE_URL'}`,
      ];
    case 'ETIMEDOUT':
      return [
        `timed out connecting to ${at}: check the host, port and firewall in ${failure.fetch ? '--url / RSVP_URL' : 'DATABASE_URL'}`,
      ];
    case '3D000':
      return [
        `PostgreSQL database ${database.name} does not exist at ${database.where}: create it (createdb ${database.name}) or fix the database name in DATABASE_URL`,
      ];
    case '28P01':
    case '28000':
      return [
        `PostgreSQL at ${database.where} refused the user or password in DATABASE_URL: fix them, or grant access`,
      ];
    case 'EADDRINUSE':
      return [
        `cannot listen on ${listenAddress(env)}: the port is in use; stop what uses it, or set PORT to another port`,
      ];
    case 'EADDRNOTAVAIL':
      return [
        `cannot listen on ${listenAddress(env)}: this machine has no such address; set HOST to one of its own (127.0.0.1, ::1, 0.0.0.0)`,
      ];
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return failure.syscall === 'listen'
        ? [`not allowed to listen on ${listenAddress(env)}; set PORT to 1024 or above`]
        : [
            `cannot write the SQLite database at ${failure.path ?? database.where} (${failure.code}); set DATA_DIR or DATABASE_URL to a writable place`,
          ];
    case 'SQLITE_CANTOPEN':
      return [
        `cannot open the SQLite database at ${database.where}; set DATA_DIR or DATABASE_URL to a writable file path`,
      ];
    default:
      return null;
  }
}

interface CodedError {
  code: string;
  address?: string;
  port?: number;
  hostname?: string;
  syscall?: string;
  path?: string;
  /** Raised by fetch (the CLI talking to a server), not by a database driver. */
  fetch: boolean;
}

/** The first error with a known code along `cause` and AggregateError chains. */
function codedError(error: unknown, fetch = false): CodedError | null {
  if (!(error instanceof Error)) return null;
  const fields = error as Error & Partial<Omit<CodedError, 'fetch'>> & { errcode?: number; cause?: unknown };
  const viaFetch = fetch || (error instanceof TypeError && error.message === 'fetch failed');
  if (fields.errcode === 14) return { code: 'SQLITE_CANTOPEN', fetch: false };
  if (typeof fields.code === 'string' && /^(E[A-Z]+|[0-9A-Z]{5})$/.test(fields.code)) {
    return { ...fields, code: fields.code, fetch: viaFetch };
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = codedError(inner, viaFetch);
      if (found) return found;
    }
  }
  return fields.cause ? codedError(fields.cause, viaFetch) : null;
}

function databaseIn(env: Record<string, string | undefined>): { where: string; name: string } {
  let url: string;
  try {
    url = loadConfig(env).databaseUrl;
  } catch {
    return { where: 'DATABASE_URL', name: '' };
  }
  if (!/^postgres(ql)?:\/\//.test(url)) return { where: redactUrl(url), name: '' };
  const parsed = new URL(url);
  return {
    where: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`,
    name: `"${decodeURIComponent(parsed.pathname.slice(1)) || parsed.username || 'postgres'}"`,
  };
}

function listenAddress(env: Record<string, string | undefined>): string {
  const host = env.HOST ?? '127.0.0.1';
  return `${host.includes(':') ? `[${host}]` : host}:${env.PORT ?? '8080'}`;
}
