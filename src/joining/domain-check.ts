import type { DomainRecord } from './domain.repository.ts';
import type { TxtResolver } from './joining.context.ts';

/** Where the organization publishes its proof: a TXT record on a name of its own under the domain. */
export const challengeName = (domain: string) => `_rsvp-challenge.${domain}`;
const DNS_TIMEOUT_MS = 5_000;

export interface TxtCheck {
  /** Why the TXT record does not prove control; null when it does. */
  problem: string | null;
  /** The lookup itself failed (timeout, server failure): asking again may help. */
  transient: boolean;
}

/** Looks up the domain's challenge name and says whether its TXT records carry the token. */
export async function checkTxtRecord(
  resolveTxt: TxtResolver,
  domain: Pick<DomainRecord, 'domain' | 'verificationToken'>,
): Promise<TxtCheck> {
  const name = challengeName(domain.domain);
  let records: string[][];
  try {
    records = await Promise.race([
      resolveTxt(name),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })),
          DNS_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND') {
      return { problem: `No TXT record at ${name} yet.`, transient: false };
    }
    return {
      problem: `The DNS lookup of ${name} failed (${code ?? 'error'}); retry later.`,
      transient: true,
    };
  }
  if (records.some((chunks) => chunks.join('') === domain.verificationToken)) {
    return { problem: null, transient: false };
  }
  return {
    problem: `The TXT records at ${name} do not include ${domain.verificationToken}.`,
    transient: false,
  };
}
