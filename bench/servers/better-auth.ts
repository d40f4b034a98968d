/**
 * The peer: better-auth with its organization plugin on node:http, on SQLite (node:sqlite) or
 * PostgreSQL (pg's pool, which better-auth drives through Kysely). Prints `ready <port>` once migrated and listening.
 * Usage: node servers/better-auth.ts <sqlite-file | postgres://…> <port>
 */
import http from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { organization } from 'better-auth/plugins';

const [url, port] = process.argv.slice(2) as [string, string];

async function database() {
  if (!url.startsWith('postgres')) {
    const sqlite = new DatabaseSync(url);
    sqlite.exec('pragma journal_mode = wal');
    sqlite.exec('pragma synchronous = normal');
    sqlite.exec('pragma busy_timeout = 5000');
    return sqlite;
  }
  const { default: pg } = await import('pg');
  return new pg.Pool({ connectionString: url, max: 10 });
}

const auth = betterAuth({
  baseURL: `http://127.0.0.1:${port}`,
  secret: 'bench-secret-bench-secret-bench-secret-0123456789',
  database: (await database()) as never,
  emailAndPassword: { enabled: true, minPasswordLength: 8 },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  plugins: [
    organization({
      invitationLimit: 10_000_000,
      membershipLimit: 10_000_000,
      async sendInvitationEmail() {},
    }),
  ],
  logger: { disabled: true },
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const handler = toNodeHandler(auth);
http
  .createServer((request, response) => handler(request, response))
  .listen(Number(port), '127.0.0.1', () => {
    console.log(`ready ${port}`);
  });
