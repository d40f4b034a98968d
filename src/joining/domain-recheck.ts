import type { Principal } from '../access/principal.ts';
import type { Executor } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import { DAY } from '../lib/clock.ts';
import { claimRecheck, type DomainRecord, domainsDueForRecheck, updateDomain } from './domain.repository.ts';
import { checkTxtRecord } from './domain-check.ts';
import type { JoiningDeps } from './joining.context.ts';

/** How often a verified domain's TXT record is looked up again. */
export const RECHECK_EVERY_MS = DAY;
/** Per sweep: each lookup may take up to 5 s, and the sweep has other work. */
const RECHECKS_PER_SWEEP = 20;

export interface RecheckOutcome {
  checked: number;
  /** Domains whose record was gone or changed: no longer verified. */
  lost: string[];
}

/**
 * A verified domain keeps joining new accounts (`auto_join`) and offering its organization only
 * while its TXT record is there: a domain that lapsed, was sold or whose record was removed must
 * stop. Each verified domain is looked up again once a day; a record gone or changed makes it
 * pending (audited as `domain.updated`, with the reason), as a failed manual check does. A lookup
 * that failed (timeout, server failure) only records the error: DNS trouble unverifies nobody.
 */
export async function recheckDueDomains(deps: JoiningDeps): Promise<RecheckOutcome> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const due = await domainsDueForRecheck(db, new Date(now.getTime() - RECHECK_EVERY_MS), RECHECKS_PER_SWEEP);
  const outcome: RecheckOutcome = { checked: 0, lost: [] };
  for (const domain of due) {
    if (!(await claimRecheck(db, domain, now))) continue;
    outcome.checked++;
    const { problem, transient } = await checkTxtRecord(deps.resolveTxt, domain);
    if (problem === null) await updateDomain(db, domain.id, { checkError: null, updatedAt: now });
    else if (await recordFailedCheck(db, domain, { problem, transient, now, actor: null }))
      outcome.lost.push(domain.domain);
  }
  return outcome;
}

/**
 * Records a TXT check that found no record (`problem`): the error, and, when the domain was
 * verified and the record is gone or changed rather than unreachable (`transient`), that it is
 * pending again (audited as `domain.updated` with the reason, and `by: daily_recheck` when no one
 * asked). Shared by the admin's check and the daily recheck. True when the domain was unverified.
 */
export async function recordFailedCheck(
  db: Executor,
  domain: DomainRecord,
  check: { problem: string; transient: boolean; now: Date; actor: Principal | null },
): Promise<boolean> {
  const { problem, now, actor } = check;
  const lost = domain.status === 'verified' && !check.transient;
  await db.transaction().execute(async (trx) => {
    await updateDomain(trx, domain.id, {
      checkedAt: now,
      checkError: problem,
      updatedAt: now,
      ...(lost ? { status: 'pending' as const, verifiedAt: null } : {}),
    });
    if (!lost) return;
    await recordAudit(trx, {
      type: 'domain.updated',
      organizationId: domain.organizationId,
      subject: { type: 'domain', id: domain.id },
      actor,
      now,
      data: {
        domain: domain.domain,
        status: 'pending',
        reason: problem,
        ...(actor ? {} : { by: 'daily_recheck' }),
      },
      snapshot: { domain: { id: domain.id, organization_id: domain.organizationId, domain: domain.domain } },
    });
  });
  return lost;
}
