import { hkdfSync } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { randomBase62 } from '../lib/secrets.ts';

export interface InstanceKeys {
  /** AES-256-GCM key for secrets that wait in the outbox (invitation links). */
  encryption: Buffer;
  /** HS256 key for the access tokens rsvp mints at /oauth/token. */
  jwtSigning: Uint8Array;
  /** HMAC key for invitee-page session cookies and CSRF tokens. */
  sessionSigning: Buffer;
  /** HS256 key for invitation JWTs (TileDB v4 links); separate from access tokens by key and audience. */
  invitationSigning: Buffer;
  /** HMAC key for page tokens that must not be forged (Confluent's opaque page tokens). */
  pageTokenSigning: Buffer;
}

function derive(master: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, 'rsvp', purpose, 32));
}

/**
 * The master secret comes from RSVP_SECRET when set. Otherwise one is generated once and kept
 * in the database, so every process sharing the database derives the same keys.
 */
export async function loadInstanceKeys(
  database: Database,
  configured: string | undefined,
): Promise<InstanceKeys> {
  let master = configured;
  if (!master) {
    await database.db
      .insertInto('instance_secrets')
      .values({ name: 'master', value: randomBase62(64), created_at: new Date() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await database.db
      .selectFrom('instance_secrets')
      .select('value')
      .where('name', '=', 'master')
      .executeTakeFirstOrThrow();
    master = row.value;
  }
  return {
    encryption: derive(master, 'outbox-encryption'),
    jwtSigning: derive(master, 'jwt-signing'),
    sessionSigning: derive(master, 'session-signing'),
    invitationSigning: derive(master, 'invitation-jwt'),
    pageTokenSigning: derive(master, 'page-token'),
  };
}
