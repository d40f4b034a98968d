import type * as Argon2 from '@node-rs/argon2';

// The native argon2 module loads on the first password checked or set: an API-key-only
// process never carries it.
let argon2: Promise<typeof Argon2> | undefined;
const load = () => {
  argon2 ??= import('@node-rs/argon2');
  return argon2;
};

// argon2id (algorithm 2) with OWASP's minimum: 19 MiB memory, 2 iterations, 1 lane.
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return load().then(({ hash }) => hash(password, OPTIONS));
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    const { verify } = await load();
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** Run when no user matched, so a wrong username costs as long as a wrong password. */
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password');
  await verifyPassword(await dummyHash, password);
}
