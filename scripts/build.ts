/**
 * Bundles the server for `npm start`: `src/` and the libraries it loads at every start, in a few
 * ES modules under `dist/server/` (bench/RESULTS.md, change 13: half the CPU of a cold start and
 * ~30 MB less memory than running the TypeScript sources, which tests and the CLI still do).
 *
 *   node scripts/build.ts [--out=dist/server] [--if-stale]
 *
 * `--if-stale`: only when a source file or the lockfile is newer than the bundle, so `npm start`
 * always runs what is in `src/`. The bundle sits two folders deep, like the sources, because the
 * server finds `console/`, `src/locales/` and `package.json` relative to its own file.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const out = join(root, option('out') ?? 'dist/server');
const ENTRY = 'rsvp.mjs';

/**
 * Left to Node at run time: native code (argon2), what the server loads only when configured
 * (PostgreSQL, Redis, SMTP, the API reference page, CSV import), and packages that read their
 * own files next to their modules.
 */
const EXTERNAL = [
  /^node:/,
  '@node-rs/argon2',
  'pg',
  'ioredis',
  'nodemailer',
  'csv-parse/sync',
  '@scalar/fastify-api-reference',
];

if (relative(root, out).split(/[\\/]/).length !== 2) {
  throw new Error(`the bundle must sit two folders below the repository root (like src/cli/), not ${out}`);
}

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    const built = statSync(join(out, ENTRY)).mtimeMs;
    const sources = Math.max(newestIn(join(root, 'src')), statSync(join(root, 'package-lock.json')).mtimeMs);
    return built >= sources;
  } catch {
    return false;
  }
}

if (process.argv.includes('--if-stale') && isFresh()) process.exit(0);

// Written beside the bundle, then swapped in: a server starting meanwhile reads one whole bundle.
const staging = `${out}.${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(dirname(out), { recursive: true });
await build({
  input: join(root, 'src/cli/main.ts'),
  platform: 'node',
  external: EXTERNAL,
  logLevel: 'warn',
  output: { dir: staging, format: 'esm', entryFileNames: ENTRY, chunkFileNames: '[name]-[hash].mjs' },
});
const previous = `${out}.old.${process.pid}`;
try {
  renameSync(out, previous);
} catch {}
renameSync(staging, out);
rmSync(previous, { recursive: true, force: true });
