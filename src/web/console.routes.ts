import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from '../http/app-types.ts';

/** The console's own files (plain ES modules, no build step): `console/` at the repository root. */
const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * Browser libraries served from node_modules under fixed names, and the import map that lets the
 * console import them by package name. The SDK is the workspace package's compiled `dist`
 * (built by `npm install` through its `prepare` script).
 */
const VENDOR: { specifier: string; module: string; file: string }[] = [
  { specifier: 'preact', module: 'preact', file: 'preact.mjs' },
  { specifier: 'preact/hooks', module: 'preact/hooks', file: 'preact-hooks.mjs' },
  { specifier: 'htm', module: 'htm', file: 'htm.mjs' },
  { specifier: 'openapi-fetch', module: 'openapi-fetch', file: 'openapi-fetch.mjs' },
  { specifier: '@rsvp/sdk', module: '@rsvp/sdk', file: 'sdk/index.js' },
];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(path: string): Asset {
  const body = readFileSync(path);
  const extension = path.slice(path.lastIndexOf('.'));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, type: TYPES[extension] ?? 'application/octet-stream', etag };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** Every file the console serves, read once at start: an allow-list, so no path is ever resolved per request. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of filesUnder(CONSOLE_DIR)) {
    const name = relative(CONSOLE_DIR, file).split('\\').join('/');
    if (name === 'index.html' || !TYPES[name.slice(name.lastIndexOf('.'))]) continue;
    assets.set(`/console/${name}`, asset(file));
  }
  for (const { module, file } of VENDOR) {
    const entry = fileURLToPath(import.meta.resolve(module));
    if (!existsSync(entry)) {
      throw new Error(`the console needs ${entry}; run \`npm install\` (it builds packages/sdk/dist)`);
    }
    if (module === '@rsvp/sdk') {
      for (const sibling of readdirSync(dirname(entry)).filter((n) => n.endsWith('.js'))) {
        assets.set(`/console/vendor/sdk/${sibling}`, asset(join(dirname(entry), sibling)));
      }
    } else assets.set(`/console/vendor/${file}`, asset(entry));
  }
  return assets;
}

/**
 * The admin console at /console: one HTML page and its modules. It talks to the native API only
 * (through the SDK), signed in with a browser session; see docs/decisions.md.
 */
export function consoleRoutes(app: App) {
  const assets = loadAssets();
  const importMap = JSON.stringify({
    imports: Object.fromEntries(VENDOR.map((v) => [v.specifier, `/console/vendor/${v.file}`])),
  });
  const mapHash = createHash('sha256').update(importMap).digest('base64');
  const version = createHash('sha256')
    .update([...assets.values()].map((a) => a.etag).join())
    .digest('base64url')
    .slice(0, 10);
  const index = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8')
    .replace('<!--importmap-->', `<script type="importmap">${importMap}</script>`)
    .replaceAll('{{version}}', version);
  const policy = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${mapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

  const page = { config: { auth: 'public' as const }, schema: { hide: true } };
  app.get('/console', {
    ...page,
    handler: async (_request, reply) =>
      reply
        .header('cache-control', 'no-cache')
        .header('content-security-policy', policy)
        .type('text/html; charset=utf-8')
        .send(index),
  });
  app.get('/console/*', {
    ...page,
    handler: async (request, reply) => {
      const found = assets.get(request.url.split('?')[0]!);
      if (!found) {
        // A screen's address opens the console; a missing file stays missing.
        if (/\.[a-z]+$/.test(request.url.split('?')[0]!)) return reply.callNotFound();
        return reply.redirect('/console', 302);
      }
      reply.header('etag', found.etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
      return reply.type(found.type).send(found.body);
    },
  });
}
