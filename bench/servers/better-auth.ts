/**
 * The peer: better-auth with its organization plugin on node:http, on SQLite (node:sqlite) or
 * PostgreSQL (postgres.js through Kysely). Prints `ready <port>` once migrated and listening.
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
  const { PostgresJSDialect } = await import('../../node_modules/kysely-postgres-js/dist/index.mjs');
  const { default: postgres } = await import('../../node_modules/postgres/src/index.js');
  return {
    dialect: new PostgresJSDialect({ postgres: postgres(url, { max: 10, onnotice: () => {} }) }),
    type: 'postgres' as const,
  };
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
