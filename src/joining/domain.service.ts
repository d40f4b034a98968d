import type { Principal } from '../access/principal.ts';
import { requireRole } from '../access/roles.ts';
import type { UserRecord } from '../access/user-record.ts';
import { requireVerifiedEmail } from '../access/verified-email.ts';
import { type Executor, isUniqueViolation } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import { emailDomain } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { tooManyRequests } from '../lib/rate-limiter.ts';
import { randomBase62 } from '../lib/secrets.ts';
import { findMembership } from '../memberships/membership.repository.ts';
import {
  type OrganizationAccess,
  organizationAccess,
  requireAdmin,
  requireRankAtMost,
} from '../organizations/organization.access.ts';
import { findOrganization, findOrganizationsByIds } from '../organizations/organization.repository.ts';
import {
  type DomainRecord,
  deleteDomain,
  findDomain,
  insertDomain,
  type JoinMode,
  listDomains,
  updateDomain,
  verifiedDomainsCovering,
} from './domain.repository.ts';
import { challengeName, checkTxtRecord } from './domain-check.ts';
import { type RecheckOutcome, recheckDueDomains, recordFailedCheck } from './domain-recheck.ts';
import { admit, type JoiningDeps, spendJoinAttempt } from './joining.context.ts';

const domainNotFound = () =>
  new AppError(404, 'domain_not_found', 'Domain not found', 'No such domain here.');

/**
 * Verified domains: an organization proves it controls a domain by a DNS TXT record; people with
 * an address there are then offered the organization, or joined to it when their account is
 * created (`auto_join`), with the domain's role, through the approval queue when it asks for one.
 */
export class DomainService {
  readonly #deps: JoiningDeps;
  constructor(deps: JoiningDeps) {
    this.#deps = deps;
  }

  async add(
    principal: Principal,
    ref: string,
    input: { domain: string; join_mode: JoinMode; role?: string | undefined; requires_approval: boolean },
  ): Promise<DomainRecord> {
    const db = this.#deps.database.db;
    const access = await this.#admin(principal, ref, 'add domains');
    const role = this.#role(access, input.role);
    const now = this.#deps.clock.now();
    const domain: DomainRecord = {
      id: newId('dom', now),
      organizationId: access.organization.id,
      domain: input.domain,
      verificationToken: `rsvp-verification=${randomBase62(32)}`,
      status: 'pending',
      joinMode: input.join_mode,
      role,
      requiresApproval: input.requires_approval,
      createdAt: now,
      updatedAt: now,
      verifiedAt: null,
      checkedAt: null,
      checkError: null,
    };
    try {
      await db.transaction().execute(async (trx) => {
        await insertDomain(trx, domain);
        await this.#audit(trx, principal, domain, 'domain.added', { join_mode: domain.joinMode, role });
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new AppError(409, 'domain_exists', 'Domain exists', `${input.domain} is already listed here.`);
    }
    return domain;
  }

  async list(principal: Principal, ref: string): Promise<DomainRecord[]> {
    const access = await organizationAccess(this.#deps.database.db, principal, ref);
    return listDomains(this.#deps.database.db, access.organization.id);
  }

  async get(principal: Principal, ref: string, name: string): Promise<DomainRecord> {
    const access = await organizationAccess(this.#deps.database.db, principal, ref);
    const domain = await findDomain(this.#deps.database.db, access.organization.id, name);
    if (!domain) throw domainNotFound();
    return domain;
  }

  async update(
    principal: Principal,
    ref: string,
    name: string,
    input: {
      join_mode?: JoinMode | undefined;
      role?: string | undefined;
      requires_approval?: boolean | undefined;
    },
  ): Promise<DomainRecord> {
    const db = this.#deps.database.db;
    const access = await this.#admin(principal, ref, 'change domains');
    const role = input.role === undefined ? undefined : this.#role(access, input.role);
    const now = this.#deps.clock.now();
    await db.transaction().execute(async (trx) => {
      const domain = await findDomain(trx, access.organization.id, name);
      if (!domain) throw domainNotFound();
      await updateDomain(trx, domain.id, {
        ...(input.join_mode !== undefined ? { joinMode: input.join_mode } : {}),
        ...(role !== undefined ? { role } : {}),
        ...(input.requires_approval !== undefined ? { requiresApproval: input.requires_approval } : {}),
        updatedAt: now,
      });
      await this.#audit(trx, principal, domain, 'domain.updated', { fields: Object.keys(input) });
    });
    return (await findDomain(db, access.organization.id, name))!;
  }

  async remove(principal: Principal, ref: string, name: string): Promise<void> {
    const access = await this.#admin(principal, ref, 'remove domains');
    await this.#deps.database.db.transaction().execute(async (trx) => {
      const domain = await findDomain(trx, access.organization.id, name);
      if (!domain) throw domainNotFound();
      await deleteDomain(trx, domain.id);
      await this.#audit(trx, principal, domain, 'domain.removed', {});
    });
  }

  /**
   * Looks up the TXT record now. Found: the domain is verified (unless another organization
   * holds it verified: 409). Not found: 422 saying what was there, and the check is recorded.
   */
  async verify(principal: Principal, ref: string, name: string): Promise<DomainRecord> {
    const db = this.#deps.database.db;
    const access = await this.#admin(principal, ref, 'verify domains');
    const domain = await findDomain(db, access.organization.id, name);
    if (!domain) throw domainNotFound();
    const rule = this.#deps.abuseLimits.perDomainCheck;
    const decision = await this.#deps.rateLimiter.consume(`domain-check:${access.organization.id}`, rule);
    if (!decision.allowed) throw tooManyRequests(decision, rule, 'Too many domain checks; retry later.');
    const { problem, transient } = await checkTxtRecord(this.#deps.resolveTxt, domain);
    const now = this.#deps.clock.now();
    if (problem) {
      // The record is gone or changed: the organization no longer shows it controls the domain,
      // so the domain stops joining or offering anyone (and another organization may prove it).
      await recordFailedCheck(db, domain, { problem, transient, now, actor: principal });
      throw new AppError(422, 'domain_not_verified', 'Domain not verified', problem, {
        extras: { txt_record: { name: challengeName(domain.domain), value: domain.verificationToken } },
      });
    }
    if (domain.status === 'verified') {
      await updateDomain(db, domain.id, { checkedAt: now, checkError: null, updatedAt: now });
      return (await findDomain(db, access.organization.id, domain.id))!;
    }
    try {
      await db.transaction().execute(async (trx) => {
        await updateDomain(trx, domain.id, {
          status: 'verified',
          verifiedAt: now,
          checkedAt: now,
          checkError: null,
          updatedAt: now,
        });
        await this.#audit(trx, principal, domain, 'domain.verified', {});
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new AppError(
        409,
        'domain_verified_elsewhere',
        'Domain verified by another organization',
        `${domain.domain} is verified by another organization; it must remove it first.`,
      );
    }
    return (await findDomain(db, access.organization.id, domain.id))!;
  }

  /** The daily re-check of verified domains whose time has come (see domain-recheck.ts). */
  recheckDue(): Promise<RecheckOutcome> {
    return recheckDueDomains(this.#deps);
  }

  /** The re-check as the sweep runs it: it logs what was checked, when anything was. */
  readonly recheckTask = {
    name: 'verified domains re-checked',
    run: async () => {
      const { checked, lost } = await this.recheckDue();
      return checked > 0 ? { checked, lost } : undefined;
    },
  };

  /** Organizations the caller's address domain was verified by, which they may join. */
  async suggestions(principal: Principal) {
    if (!principal.user.emailVerified) return [];
    const db = this.#deps.database.db;
    const domains = (await verifiedDomainsCovering(db, emailDomain(principal.user.emailCanonical))).filter(
      (domain) => domain.joinMode !== 'none',
    );
    const organizations = new Map(
      (
        await findOrganizationsByIds(
          db,
          domains.map((d) => d.organizationId),
        )
      ).map((o) => [o.id, o]),
    );
    const suggestions = [];
    for (const domain of domains) {
      if (await findMembership(db, domain.organizationId, principal.user.id)) continue;
      suggestions.push({ domain, organization: organizations.get(domain.organizationId)! });
    }
    return suggestions;
  }

  /** Joins (or asks to join) an organization that verified the caller's address domain. */
  async join(principal: Principal, ref: string) {
    requireVerifiedEmail(principal.user, 'Joining through your address domain');
    await spendJoinAttempt(this.#deps, principal);
    const db = this.#deps.database.db;
    const organization = await findOrganization(db, ref);
    const domain = organization
      ? (await verifiedDomainsCovering(db, emailDomain(principal.user.emailCanonical))).find(
          (d) => d.organizationId === organization.id && d.joinMode !== 'none',
        )
      : undefined;
    if (!organization || !domain) {
      throw new AppError(
        404,
        'organization_not_found',
        'Organization not found',
        'No organization offers to let you join through your address domain.',
      );
    }
    const now = this.#deps.clock.now();
    const request = await db.transaction().execute((trx) =>
      admit(this.#deps, trx, {
        organizationId: organization.id,
        user: principal.user,
        target: { role: domain.role, resourceId: null, actions: null },
        source: 'domain',
        joinLinkId: null,
        domain: domain.domain,
        requiresApproval: domain.requiresApproval,
        actor: principal,
        now,
      }),
    );
    return { request, organization };
  }

  /**
   * For a new account, in its creating transaction: joins every organization that verified its
   * address domain with `auto_join`, or files a request where approval is required (or where no
   * seat is free). Nothing the organization could not do otherwise ever stops the account.
   */
  async onAccountCreated(trx: Executor, user: UserRecord, now: Date): Promise<void> {
    // A domain captures only addresses proven to be their owners'.
    if (!user.emailVerified) return;
    const domains = (await verifiedDomainsCovering(trx, emailDomain(user.emailCanonical))).filter(
      (domain) => domain.joinMode === 'auto_join',
    );
    for (const domain of domains) {
      const admission = {
        organizationId: domain.organizationId,
        user,
        target: { role: domain.role, resourceId: null, actions: null },
        source: 'domain' as const,
        joinLinkId: null,
        domain: domain.domain,
        requiresApproval: domain.requiresApproval,
        actor: null,
        now,
      };
      try {
        await admit(this.#deps, trx, admission);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (error.code === 'seat_limit_reached')
          await admit(this.#deps, trx, { ...admission, requiresApproval: true });
      }
    }
  }

  async #admin(principal: Principal, ref: string, action: string) {
    const access = await organizationAccess(this.#deps.database.db, principal, ref);
    requireAdmin(access, action);
    return access;
  }

  #role(access: OrganizationAccess, name: string | undefined): string {
    const role = requireRole(
      access.organization.settings.roles,
      name ?? access.organization.settings.default_role,
    );
    requireRankAtMost(access, role);
    return role.name;
  }

  #audit(
    trx: Executor,
    principal: Principal,
    domain: DomainRecord,
    type: 'domain.added' | 'domain.updated' | 'domain.verified' | 'domain.removed',
    data: Record<string, unknown>,
  ) {
    return recordAudit(trx, {
      type,
      organizationId: domain.organizationId,
      subject: { type: 'domain', id: domain.id },
      actor: principal,
      now: this.#deps.clock.now(),
      data: { domain: domain.domain, ...data },
      snapshot: { domain: { id: domain.id, organization_id: domain.organizationId, domain: domain.domain } },
    });
  }
}
