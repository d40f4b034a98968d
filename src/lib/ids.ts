import { randomBytes, randomUUID } from 'node:crypto';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

function base32hex(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE32HEX[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * `prefix_` + 20 lowercase base32hex characters: 10 of millisecond time, then 10 random
 * (50 bits). Ids sort by creation time, so keyset pagination on (time, id) stays stable and
 * the invitation id doubles as TileDB v4's `inv_…` format. Ids are not secrets.
 */
export function newId(prefix: string, now: Date = new Date()): string {
  const time = base32hex(BigInt(now.getTime()), 10);
  const random = base32hex(randomBytes(8).readBigUInt64BE() >> 14n, 10);
  return `${prefix}_${time}${random}`;
}

export function newUuid(): string {
  return randomUUID();
}
