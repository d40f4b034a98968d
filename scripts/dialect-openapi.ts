/**
 * Writes each dialect listener's OpenAPI document (what its GET /openapi.json serves) to a
 * directory, built in process without a server: `node scripts/dialect-openapi.ts <dir>`.
 * `npm run openapi:lint` lints them with the same rulesets as the native document.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { buildCvatApp } from '../src/dialects/cvat/cvat.app.ts';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import { systemClock } from '../src/lib/clock.ts';

const directory = process.argv[2] ?? 'dialect-openapi';
const database = openDatabase({ url: ':memory:' });
const key = Buffer.alloc(32);
const keys = {
  encryption: key,
  jwtSigning: new Uint8Array(32),
  sessionSigning: key,
  invitationSigning: key,
  pageTokenSigning: key,
};
const publicUrl = 'http://localhost:8080';
const { app, services } = await buildApp({ database, keys, clock: systemClock, publicUrl });
const dialects = {
  tiledb: buildTiledbApp(services),
  trieve: buildTrieveApp(services, { publicUrl }),
  cvat: buildCvatApp(services, {
    keyMac: key,
    sessionKey: key,
    clock: systemClock,
    publicUrl,
    listenerUrl: 'http://localhost:8082',
  }),
  confluent: buildConfluentApp(services, { pageTokenKey: key, listenerUrl: 'http://localhost:8083' }),
};
mkdirSync(directory, { recursive: true });
for (const [name, dialect] of Object.entries(dialects)) {
  const response = await dialect.inject('/openapi.json');
  writeFileSync(join(directory, `${name}.json`), `${JSON.stringify(response.json(), null, 2)}\n`);
  await dialect.close();
}
await app.close();
await database.close();
process.stdout.write(
  `wrote ${Object.keys(dialects)
    .map((name) => `${name}.json`)
    .join(', ')} to ${directory}\n`,
);
