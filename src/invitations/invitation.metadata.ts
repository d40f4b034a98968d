import { z } from 'zod';

/** The metadata an invitation carries: the legacy string map and the two JSON objects. */
export const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, 'at most 50 keys')
  .describe(
    'Your own key-value pairs (up to 50 keys; keys ≤ 40 and values ≤ 500 characters). Admins only, ' +
      'like `private_metadata`, and kept on the invitation alone; new code uses the two metadata objects.',
  )
  .meta({ id: 'Metadata' });

export const METADATA_MAX_BYTES = 8192;
export const METADATA_MAX_DEPTH = 10;

/** Whether no value nests deeper than `max` objects or arrays (counted without recursion). */
function nestsWithin(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return false;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

/** A JSON object of the caller's own, bounded in size and depth as a whole rather than field by field. */
const metadataObject = (id: string, description: string) =>
  z
    .record(z.string().min(1).max(100), z.unknown())
    .refine((value) => nestsWithin(value, METADATA_MAX_DEPTH), `at most ${METADATA_MAX_DEPTH} levels deep`)
    .refine(
      (value) =>
        nestsWithin(value, METADATA_MAX_DEPTH) &&
        Buffer.byteLength(JSON.stringify(value)) <= METADATA_MAX_BYTES,
      `at most ${METADATA_MAX_BYTES} bytes as JSON`,
    )
    .describe(
      `${description} A JSON object of at most ${METADATA_MAX_BYTES} bytes and ${METADATA_MAX_DEPTH} levels.`,
    )
    .meta({ id });

export const PublicMetadata = metadataObject(
  'PublicMetadata',
  'Shown to the invitee (invitation page, preview, their invitation list); copied onto the membership on accept.',
);
export const PrivateMetadata = metadataObject(
  'PrivateMetadata',
  "Seen only by the organization's admins (and its webhooks), never by the invitee; copied onto the membership on accept.",
);
