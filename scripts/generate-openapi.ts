/**
 * Writes openapi.json from the zod schemas of the routes. With --check, fails when the
 * committed file differs from what the code describes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { systemClock } from '../src/lib/clock.ts';

const database = openDatabase({ url: ':memory:' });
const keys = {
  encryption: Buffer.alloc(32),
  jwtSigning: new Uint8Array(32),
  sessionSigning: Buffer.alloc(32),
  invitationSigning: Buffer.alloc(32),
  pageTokenSigning: Buffer.alloc(32),
};
const { app } = await buildApp({ database, keys, clock: systemClock, publicUrl: 'http://localhost:8080' });
await app.ready();
const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
await app.close();
await database.close();

const path = new URL('../openapi.json', import.meta.url);
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {}
  if (committed !== document) {
    process.stderr.write('openapi.json is out of date: run `npm run openapi` and commit the result\n');
    process.exit(1);
  }
  process.stdout.write('openapi.json is up to date\n');
} else {
  writeFileSync(path, document);
  process.stdout.write('wrote openapi.json\n');
}
