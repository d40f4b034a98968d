import type { Executor } from '../db/database.ts';

/** Records the public URL a starting server answers on; the last server started wins. */
export async function recordPublicUrl(db: Executor, url: string, now: Date): Promise<void> {
  await db
    .insertInto('instance_settings')
    .values({ name: 'public_url', value: url, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: url, updated_at: now }))
    .execute();
}

/** The public URL the last server started on this database recorded, if any. */
export async function recordedPublicUrl(db: Executor): Promise<string | undefined> {
  const row = await db
    .selectFrom('instance_settings')
    .select('value')
    .where('name', '=', 'public_url')
    .executeTakeFirst();
  return row?.value;
}
