import type { Principal } from '../access/principal.ts';
import { requireRole } from '../access/roles.ts';
import { requireVerifiedEmail } from '../access/verified-email.ts';
import type { Executor } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import { domainMatches, emailDomain } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { isWellFormedTypedSecret, newTypedSecret, sha256 } from '../lib/secrets.ts';
import { organizationAccess, requireAdmin, requireRankAtMost } from '../organizations/organization.access.ts';
import { findOrganization } from '../organizations/organization.repository.ts';
import { findResourceInOrganization, type ResourceRecord } from '../resources/resource.repository.ts';
import {
  findJoinLink,
  findJoinLinkByHash,
  insertJoinLink,
  type JoinLinkRecord,
  linkStatus,
  listJoinLinks,
  revokeJoinLink,
  rotateJoinLink,
  takeUse,
} from './join-link.repository.ts';
import { type JoinRequestRecord, listJoinRequests } from './join-request.repository.ts';
import { admit, type JoiningDeps, type JoinTarget, spendJoinAttempt } from './joining.context.ts';
import {
  DEFAULT_LINK_TTL_SECONDS,
  type JoinLinkInput,
  MAX_LINK_TTL_SECONDS,
  MIN_LINK_TTL_SECONDS,
} from './joining.schemas.ts';

export const JOIN_LINK_PREFIX = 'rsvp_jl_';

export function joinPageUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/join?token=${encodeURIComponent(token)}`;
}

const linkNotFound = () =>
  new AppError(404, 'join_link_not_found', 'Join link not found', 'No such join link, or it was rotated.');

/**
 * Multi-use join links: admins create, list, rotate and revoke them; anyone signed in who holds
 * one joins (or asks to). The secret is a typed 190-bit token; only its SHA-256 is stored.
 */
export class JoinLinkService {
  readonly #deps: JoiningDeps;
  constructor(deps: JoiningDeps) {
    this.#deps = deps;
  }

  get now(): Date {
    return this.#deps.clock.now();
  }

  /** The page a person opens to join: built from configuration, never from a request's Host. */
  urlFor(token: string): string {
    return joinPageUrl(this.#deps.publicUrl, token);
  }

  async create(principal: Principal, ref: string, input: JoinLinkInput) {
    const db = this.#deps.database.db;
    const access = await organizationAccess(db, principal, ref);
    requireAdmin(access, 'create join links');
    const organization = access.organization;
    const now = this.#deps.clock.now();
    let target: JoinTarget;
    if (input.resource_id !== undefined || input.actions !== undefined) {
      if (input.resource_id === undefined || input.actions === undefined || input.role !== undefined) {
        throw new AppError(
          422,
          'invalid_target',
          'Invalid target',
          'A resource link takes `resource_id` and `actions`, and no `role`.',
        );
      }
      const resource = await findResourceInOrganization(db, organization.id, input.resource_id);
      if (!resource)
        throw new AppError(
          404,
          'resource_not_found',
          'Resource not found',
          'The resource does not exist here.',
        );
      target = { role: null, resourceId: resource.id, actions: [...new Set(input.actions)].sort() };
    } else {
      const role = requireRole(organization.settings.roles, input.role ?? organization.settings.default_role);
      requireRankAtMost(access, role);
      target = { role: role.name, resourceId: null, actions: null };
    }
    const token = newTypedSecret(JOIN_LINK_PREFIX);
    const link: JoinLinkRecord = {
      id: newId('jl', now),
      organizationId: organization.id,
      ...target,
      description: input.description ?? null,
      secretHash: sha256(token),
      maxUses: input.max_uses ?? null,
      useCount: 0,
      allowedDomain: input.allowed_domain ?? null,
      requiresApproval: input.requires_approval,
      createdByUserId: principal.user.id,
      createdAt: now,
      updatedAt: now,
      expiresAt: linkExpiry(input, now),
      rotatedAt: null,
      revokedAt: null,
      lastUsedAt: null,
    };
    await db.transaction().execute(async (trx) => {
      await insertJoinLink(trx, link);
      await recordAudit(trx, {
        type: 'join_link.created',
        organizationId: organization.id,
        subject: { type: 'join_link', id: link.id },
        actor: principal,
        now,
        data: {
          role: link.role,
          resource_id: link.resourceId,
          actions: link.actions,
          max_uses: link.maxUses,
          requires_approval: link.requiresApproval,
        },
      });
    });
    return { link, token };
  }

  async list(principal: Principal, ref: string, options: { afterId?: string | undefined; limit: number }) {
    const access = await this.#adminAccess(principal, ref, 'see join links');
    return listJoinLinks(this.#deps.database.db, { organizationId: access.organization.id, ...options });
  }

  async get(principal: Principal, ref: string, id: string): Promise<JoinLinkRecord> {
    const access = await this.#adminAccess(principal, ref, 'see join links');
    const link = await findJoinLink(this.#deps.database.db, access.organization.id, id);
    if (!link) throw linkNotFound();
    return link;
  }

  /** Who used a link: joined, or asked to join (and what became of the request). */
  async uses(
    principal: Principal,
    ref: string,
    id: string,
    options: { afterId?: string | undefined; limit: number },
  ) {
    const link = await this.get(principal, ref, id);
    return listJoinRequests(this.#deps.database.db, {
      organizationId: link.organizationId,
      joinLinkId: link.id,
      ...options,
    });
  }

  async revoke(principal: Principal, ref: string, id: string): Promise<JoinLinkRecord> {
    return this.#change(principal, ref, id, 'revoke join links', async (trx, link, now) => {
      if (!(await revokeJoinLink(trx, link.id, now))) {
        throw new AppError(
          409,
          'join_link_revoked',
          'Already revoked',
          'This join link was already revoked.',
        );
      }
      return { type: 'join_link.revoked' as const, token: undefined };
    }).then(({ link }) => link);
  }

  /** A new secret; the old one stops working at once. Uses, cap and expiry carry over. */
  async rotate(principal: Principal, ref: string, id: string) {
    return this.#change(principal, ref, id, 'rotate join links', async (trx, link, now) => {
      const token = newTypedSecret(JOIN_LINK_PREFIX);
      if (!(await rotateJoinLink(trx, link.id, sha256(token), now))) {
        throw new AppError(
          409,
          'join_link_revoked',
          'Link revoked',
          'A revoked join link cannot be rotated.',
        );
      }
      return { type: 'join_link.rotated' as const, token };
    });
  }

  async #change(
    principal: Principal,
    ref: string,
    id: string,
    action: string,
    work: (
      trx: Executor,
      link: JoinLinkRecord,
      now: Date,
    ) => Promise<{ type: 'join_link.revoked' | 'join_link.rotated'; token: string | undefined }>,
  ): Promise<{ link: JoinLinkRecord; token: string | undefined }> {
    const access = await this.#adminAccess(principal, ref, action);
    const db = this.#deps.database.db;
    const now = this.#deps.clock.now();
    const token = await db.transaction().execute(async (trx) => {
      const link = await findJoinLink(trx, access.organization.id, id);
      if (!link) throw linkNotFound();
      const done = await work(trx, link, now);
      await recordAudit(trx, {
        type: done.type,
        organizationId: link.organizationId,
        subject: { type: 'join_link', id: link.id },
        actor: principal,
        now,
      });
      return done.token;
    });
    return { link: (await findJoinLink(db, access.organization.id, id))!, token };
  }

  async #adminAccess(principal: Principal, ref: string, action: string) {
    const access = await organizationAccess(this.#deps.database.db, principal, ref);
    requireAdmin(access, action);
    return access;
  }

  /** What a link offers, for anyone holding it; nothing about who created it or who used it. */
  async preview(token: string) {
    const link = await this.#usable(token);
    const db = this.#deps.database.db;
    const organization = (await findOrganization(db, link.organizationId))!;
    const resource = link.resourceId
      ? await findResourceInOrganization(db, link.organizationId, link.resourceId)
      : undefined;
    return { link, organization, resource: resource ?? null };
  }

  /**
   * The signed-in caller joins through a link, or files a request when the link needs approval.
   * The use is taken by compare-and-set in the same transaction as the membership, so uses never
   * exceed the cap and a failed join spends none.
   */
  async join(
    principal: Principal,
    token: string,
  ): Promise<{
    request: JoinRequestRecord;
    organization: { id: string; name: string };
    resource: ResourceRecord | null;
  }> {
    await spendJoinAttempt(this.#deps, principal);
    const link = await this.#usable(token);
    const user = principal.user;
    if (link.allowedDomain !== null)
      requireVerifiedEmail(user, `A link for addresses at ${link.allowedDomain}`);
    if (
      link.allowedDomain !== null &&
      !domainMatches(emailDomain(user.emailCanonical), [link.allowedDomain])
    ) {
      throw new AppError(
        403,
        'join_link_domain_mismatch',
        'Address not allowed',
        `This link is for addresses at ${link.allowedDomain}; your account's address is not.`,
        { extras: { allowed_domain: link.allowedDomain } },
      );
    }
    const target = (
      link.resourceId === null
        ? { role: link.role!, resourceId: null, actions: null }
        : { role: null, resourceId: link.resourceId, actions: link.actions! }
    ) as JoinTarget;
    const now = this.#deps.clock.now();
    const request = await this.#deps.database.db.transaction().execute((trx) =>
      admit(
        this.#deps,
        trx,
        {
          organizationId: link.organizationId,
          user,
          target,
          source: 'link',
          joinLinkId: link.id,
          domain: null,
          requiresApproval: link.requiresApproval,
          actor: principal,
          now,
        },
        async () => {
          if (!(await takeUse(trx, link.id, now))) throw await this.#unusable(trx, link);
        },
      ),
    );
    const db = this.#deps.database.db;
    const organization = (await findOrganization(db, link.organizationId))!;
    const resource = link.resourceId
      ? await findResourceInOrganization(db, link.organizationId, link.resourceId)
      : undefined;
    return { request, organization, resource: resource ?? null };
  }

  /** The live link a token names; 404 for an unknown (or rotated-away) token, 410 for a dead link. */
  async #usable(token: string): Promise<JoinLinkRecord> {
    if (!isWellFormedTypedSecret(JOIN_LINK_PREFIX, token)) throw linkNotFound();
    const link = await findJoinLinkByHash(this.#deps.database.db, sha256(token));
    if (!link) throw linkNotFound();
    const status = linkStatus(link, this.#deps.clock.now());
    if (status !== 'active') throw deadLink(status);
    return link;
  }

  /** Why the compare-and-set took no use: the link as it stands now. */
  async #unusable(trx: Executor, seen: JoinLinkRecord): Promise<AppError> {
    const link = await findJoinLink(trx, seen.organizationId, seen.id);
    if (!link) return linkNotFound();
    const status = linkStatus(link, this.#deps.clock.now());
    return deadLink(status === 'active' ? 'exhausted' : status);
  }
}

function deadLink(status: 'exhausted' | 'expired' | 'revoked'): AppError {
  const title = 'Join link no longer works';
  const extras = { extras: { status } };
  if (status === 'exhausted') {
    return new AppError(
      410,
      'join_link_exhausted',
      title,
      'This join link has been used as many times as it allows.',
      extras,
    );
  }
  if (status === 'expired')
    return new AppError(410, 'join_link_expired', title, 'This join link has expired.', extras);
  return new AppError(410, 'join_link_revoked', title, 'This join link was revoked.', extras);
}

function linkExpiry(
  input: { ttl_seconds?: number | undefined; expire_time?: string | undefined },
  now: Date,
): Date {
  if (input.ttl_seconds !== undefined && input.expire_time !== undefined) {
    throw new AppError(
      422,
      'conflicting_expiry',
      'Conflicting expiry',
      'Give ttl_seconds or expire_time, not both.',
    );
  }
  if (input.expire_time === undefined) {
    return new Date(now.getTime() + (input.ttl_seconds ?? DEFAULT_LINK_TTL_SECONDS) * 1000);
  }
  const expiresAt = new Date(input.expire_time);
  const seconds = (expiresAt.getTime() - now.getTime()) / 1000;
  if (seconds < MIN_LINK_TTL_SECONDS || seconds > MAX_LINK_TTL_SECONDS) {
    throw new AppError(
      422,
      'invalid_expire_time',
      'Expiry out of range',
      'expire_time must be between 1 hour and 90 days from now.',
      {
        extras: { errors: [{ pointer: '/body/expire_time', detail: 'between 1 hour and 90 days from now' }] },
      },
    );
  }
  return expiresAt;
}
