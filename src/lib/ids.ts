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

let lastTime = -1;
let lastRandom = 0n;
const RANDOM_MAX = (1n << 50n) - 1n;

/**
 * `prefix_` + 20 lowercase base32hex characters: 10 of millisecond time, then 10 random
 * (50 bits). Ids sort by creation time, so keyset pagination on (time, id) stays stable and
 * the invitation id doubles as TileDB v4's `inv_…` format. Within one process, ids made in
 * the same millisecond increase (the random part is incremented, as in monotonic ULIDs), so
 * events written together keep their order. Ids are not secrets.
 */
export function newId(prefix: string, now: Date = new Date()): string {
  const ms = now.getTime();
  let random: bigint;
  if (ms === lastTime && lastRandom < RANDOM_MAX) {
    random = lastRandom + 1n;
  } else {
    random = randomBytes(8).readBigUInt64BE() >> 15n;
  }
  lastTime = ms;
  lastRandom = random;
  return `${prefix}_${base32hex(BigInt(ms), 10)}${base32hex(random, 10)}`;
}

export function newUuid(): string {
  return randomUUID();
}
