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
    if (await settle(deps, domain, now, problem, transient)) outcome.lost.push(domain.domain);
  }
  return outcome;
}

/** Records the check's result; true when the domain is no longer verified. */
async function settle(
  deps: JoiningDeps,
  domain: DomainRecord,
  now: Date,
  problem: string | null,
  transient: boolean,
): Promise<boolean> {
  const lost = problem !== null && !transient;
  await deps.database.db.transaction().execute(async (trx) => {
    await updateDomain(trx, domain.id, {
      checkError: problem,
      updatedAt: now,
      ...(lost ? { status: 'pending' as const, verifiedAt: null } : {}),
    });
    if (!lost) return;
    await recordAudit(trx, {
      type: 'domain.updated',
      organizationId: domain.organizationId,
      subject: { type: 'domain', id: domain.id },
      actor: null,
      now,
      data: { domain: domain.domain, status: 'pending', reason: problem, by: 'daily_recheck' },
      snapshot: { domain: { id: domain.id, organization_id: domain.organizationId, domain: domain.domain } },
    });
  });
  return lost;
}
