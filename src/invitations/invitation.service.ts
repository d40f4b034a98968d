import { jwtVerify, SignJWT } from 'jose';
import {
  type OrganizationAccess,
  organizationAccess,
  requireAdmin,
  requireRankAtMost,
} from '../auth/access.ts';
import type { Principal } from '../auth/principal.ts';
import { type Database, type Executor, isUniqueViolation } from '../db/database.ts';
import type { InvitationStatus } from '../db/schema.ts';
import { enqueue, type OutboxMessage } from '../delivery/outbox.repository.ts';
import { recordEvents } from '../events/event.recorder.ts';
import { auditEvent, type EventRecord, type EventType, transitionEvent } from '../events/event.repository.ts';
import { type AbuseLimits, describeWindow, type RateLimiter, tooManyRequests } from '../http/rate-limiter.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import { type Clock, DAY, HOUR } from '../lib/clock.ts';
import {
  canonicalEmail,
  checkEmail,
  describeEmailProblem,
  domainMatches,
  emailDomain,
  maskEmail,
} from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { newId, newUuid } from '../lib/ids.ts';
import {
  constantTimeEqual,
  encrypt,
  INVITATION_TOKEN_PREFIX,
  isWellFormedTypedSecret,
  newTypedSecret,
  sha256,
} from '../lib/secrets.ts';
import {
  countMembers,
  findMembership,
  insertMembership,
  memberEmailsAmong,
  membershipsWithCatalog,
  setMembershipRole,
} from '../memberships/membership.repository.ts';
import {
  findOrganization,
  findOrganizationsByIds,
  lockOrganization,
  settingsForWrite,
} from '../organizations/organization.repository.ts';
import { findRole, requireRole, unknownRole } from '../organizations/roles.ts';
import {
  findGrant,
  findResourceInOrganization,
  findResources,
  grantsForEmails,
  putGrant,
  type ResourceRecord,
} from '../resources/resource.repository.ts';
import {
  findUserById,
  findUsersByCanonicalEmails,
  findUsersByIds,
  insertUser,
  neverRegistered,
  type UserRecord,
  updateUser,
} from '../users/user.repository.ts';
import { invalidEmail, invitationNotFound, notPending } from './invitation.errors.ts';
import {
  countInvitations,
  countLivePending,
  effectiveStatus,
  expireLapsedPending,
  findInvitation,
  findInvitationByTokenHash,
  findInvitationByUuid,
  type InvitationChanges,
  type InvitationFilter,
  type InvitationOrder,
  type InvitationRecord,
  insertInvitations,
  listInvitations,
  listInvitationsByOffset,
  type OffsetOrder,
  pendingByTargetAndEmail,
  transitionFromOpen,
  transitionFromPending,
  updateIfVersion,
} from './invitation.repository.ts';
import type { InvitationRowInput, InvitationUpdateInput } from './invitation.schemas.ts';
import { takeRecipientEmail } from './recipient-limits.ts';

export const INVITATION_JWT_AUDIENCE = 'rsvp:invitation';
const INVITATION_JWT_TYPE = 'rsvp-invitation+jwt';

export interface CreateOptions {
  sendEmail: boolean;
  /** All rows or none: any failing row rejects the whole batch with `BatchRejected`. */
  atomic?: boolean;
  linkStyle?: 'token' | 'jwt';
  /** Give every invitee a user at once (a placeholder until they register), as some APIs expose. */
  placeholderUsers?: boolean;
  /**
   * The emailed link, for APIs whose links have their own shape. It must carry `secret` (the
   * link is the invitee's only proof), and is used for this first send only.
   */
  linkFor?: (invitation: InvitationRecord, secret: string) => string;
}

/** An atomic batch in which some rows failed: nothing was created. */
export class BatchRejected extends AppError {
  readonly failures: RowResult[];
  constructor(failures: RowResult[]) {
    const first = failures.find((result) => !result.ok) as { error: AppError } | undefined;
    super(
      first?.error.status ?? 422,
      'batch_rejected',
      'Batch rejected',
      first ? first.error.message : 'Some rows failed; nothing was created.',
      { extras: { failed_rows: failures.map((failure) => failure.index) } },
    );
    this.failures = failures.filter((result) => !result.ok).sort((a, b) => a.index - b.index);
  }
}

const MIN_TTL_MS = HOUR;
const MAX_TTL_MS = 30 * DAY;

export type RowResult =
  | { index: number; ok: true; invitation: InvitationRecord; acceptUrl?: string }
  | { index: number; ok: false; error: AppError };

export type ResponderRef = { id: string } | { token: string };

interface PreparedRow {
  index: number;
  input: InvitationRowInput;
  email: string;
  emailCanonical: string;
  targetKey: string;
  resource: ResourceRecord | null;
  role: string | null;
  actions: string[] | null;
  expiresAt: Date;
}

export interface InvitationPage {
  invitations: InvitationRecord[];
  nextAfter: (string | number)[] | null;
  totalSize?: number;
}

export class InvitationService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #keys: InstanceKeys;
  readonly #publicUrl: string;
  readonly #limiter: RateLimiter;
  readonly #limits: AbuseLimits;
  readonly #onQueued: () => void;

  constructor(deps: {
    database: Database;
    clock: Clock;
    keys: InstanceKeys;
    publicUrl: string;
    rateLimiter: RateLimiter;
    abuseLimits: AbuseLimits;
    /** Called after a commit that queued email, so the worker need not wait for its next poll. */
    onQueued: () => void;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#keys = deps.keys;
    this.#publicUrl = deps.publicUrl;
    this.#limiter = deps.rateLimiter;
    this.#limits = deps.abuseLimits;
    this.#onQueued = deps.onQueued;
  }

  /**
   * The inviter's cap is taken for the whole request at once (all or nothing); the recipient
   * cap row by row, so one over-invited address fails only its own row.
   */
  async #applyAbuseLimits(
    principal: Principal,
    organizationId: string,
    prepared: PreparedRow[],
    sendEmail: boolean,
    results: Map<number, RowResult>,
  ): Promise<PreparedRow[]> {
    if (prepared.length === 0) return prepared;
    const inviterRule = this.#limits.perInviter;
    const inviter = await this.#limiter.consume(`inviter:${principal.user.id}`, inviterRule, prepared.length);
    if (!inviter.allowed) {
      throw tooManyRequests(
        inviter,
        inviterRule,
        `You may create ${inviterRule.limit} invitations per ${describeWindow(inviterRule.windowMs)}; ` +
          `${inviter.remaining} remain now and this request has ${prepared.length}.`,
        'inviter_limit_reached',
      );
    }
    if (!sendEmail) return prepared;
    const refusals = await Promise.all(
      prepared.map((row) =>
        takeRecipientEmail(
          this.#limiter,
          this.#recipientRules,
          organizationId,
          row.emailCanonical,
          row.email,
        ),
      ),
    );
    return prepared.filter((row, i) => {
      const error = refusals[i];
      if (!error) return true;
      results.set(row.index, { index: row.index, ok: false, error });
      return false;
    });
  }

  get #recipientRules() {
    return { perOrganization: this.#limits.perRecipient, shared: this.#limits.perRecipientShared };
  }

  get #db() {
    return this.#database.db;
  }

  acceptUrl(token: string): string {
    return `${this.#publicUrl}/invite?token=${token}`;
  }

  /**
   * Creates invitations, one result per row in request order. Rows are checked on their own;
   * a failing row never stops the others. All rows that pass are written in one transaction
   * that holds the organization's lock, so seat and pending limits cannot be overrun by
   * concurrent requests, and each email is queued in that same transaction.
   */
  async create(
    principal: Principal,
    organizationRef: string,
    rows: InvitationRowInput[],
    options: CreateOptions,
  ): Promise<RowResult[]> {
    const access = await organizationAccess(this.#db, principal, organizationRef);
    requireAdmin(access, 'invite people');
    const now = this.#clock.now();
    const results = new Map<number, RowResult>();
    const checked = await this.#prepareRows(principal, access, rows, now, results);
    if (options.atomic && results.size > 0) throw new BatchRejected([...results.values()]);
    const prepared = await this.#applyAbuseLimits(
      principal,
      access.organization.id,
      checked,
      options.sendEmail,
      results,
    );
    if (options.atomic && results.size > 0) throw new BatchRejected([...results.values()]);
    const linkStyle = options.linkStyle ?? 'token';
    const organizationId = access.organization.id;
    const settings = access.organization.settings;

    // The organization lock serialises creates so that seat and pending limits hold. Without
    // limits there is nothing to overrun, and the partial unique index alone keeps one pending
    // invitation per address and target: a create that loses that race is retried under the
    // lock, where it sees the winner and reports it row by row.
    const limited = settings.seat_limit !== null || settings.max_pending_invitations !== null;
    const write = (lock: boolean) =>
      this.#db.transaction().execute(async (trx) => {
        // The catalog as it is now, locked against removal until commit: a role removed since
        // the rows were checked is refused here, never written (no invitation for a ghost role).
        const catalog = (
          await settingsForWrite(trx, this.#database.engine, organizationId, lock ? 'update' : 'share')
        ).roles;
        const emails = [...new Set(prepared.map((row) => row.emailCanonical))];
        const lapsed = await expireLapsedPending(trx, organizationId, emails, now);
        const pending = await pendingByTargetAndEmail(trx, organizationId, emails);
        const members = await memberEmailsAmong(trx, organizationId, emails);
        const resourceIds = [...new Set(prepared.flatMap((row) => (row.resource ? [row.resource.id] : [])))];
        const grants = await grantsForEmails(trx, resourceIds, emails);
        const known = await findUsersByCanonicalEmails(trx, emails);
        const users = new Map(known.map((user) => [user.emailCanonical, user.id]));
        const revived = options.placeholderUsers
          ? known.filter((user) => user.status === 'deactivated' && neverRegistered(user))
          : [];
        const placeholders: UserRecord[] = [];
        // Counting is a scan of the organization's pending invitations: only when a limit needs it.
        let livePending =
          settings.max_pending_invitations === null ? 0 : await countLivePending(trx, organizationId, now);
        let seatsTaken =
          settings.seat_limit === null
            ? 0
            : (await countMembers(trx, organizationId)) +
              (await countLivePending(trx, organizationId, now, 'organization'));

        const created: InvitationRecord[] = [];
        const outbox: OutboxMessage[] = [];
        for (const row of prepared) {
          const existing = pending.get(`${row.targetKey}|${row.emailCanonical}`);
          const granted = row.resource ? grants.get(`${row.resource.id}|${row.emailCanonical}`) : undefined;
          let error: AppError | undefined;
          if (row.role !== null && !findRole(catalog, row.role)) {
            error = unknownRole(row.role, catalog);
          } else if (!row.resource && members.has(row.emailCanonical)) {
            error = new AppError(
              409,
              'already_member',
              'Already a member',
              `${row.email} is already a member.`,
            );
          } else if (granted && row.actions!.every((action) => granted.includes(action))) {
            error = new AppError(
              409,
              'already_has_access',
              'Already has access',
              `${row.email} already holds these actions.`,
            );
          } else if (existing) {
            const location = `/v1/organizations/${organizationId}/invitations/${existing}`;
            error = new AppError(
              409,
              'invitation_already_pending',
              'Invitation already pending',
              `${row.email} already has a pending invitation to this ${row.resource ? 'resource' : 'organization'}.`,
              { extras: { existing_invitation_id: existing }, headers: { location } },
            );
          } else if (
            settings.max_pending_invitations !== null &&
            livePending + 1 > settings.max_pending_invitations
          ) {
            error = new AppError(
              402,
              'pending_limit_reached',
              'Pending invitation limit reached',
              `The organization allows at most ${settings.max_pending_invitations} pending invitations.`,
              { extras: { limit: settings.max_pending_invitations } },
            );
          } else if (!row.resource && settings.seat_limit !== null && seatsTaken + 1 > settings.seat_limit) {
            error = new AppError(
              402,
              'seat_limit_reached',
              'Seat limit reached',
              `Members and pending invitations would exceed the organization's ${settings.seat_limit} seats.`,
              { extras: { limit: settings.seat_limit } },
            );
          }
          if (error) {
            results.set(row.index, { index: row.index, ok: false, error });
            continue;
          }
          if (options.placeholderUsers && !users.has(row.emailCanonical)) {
            const placeholder = placeholderUser(row.email, row.emailCanonical, now);
            placeholders.push(placeholder);
            users.set(row.emailCanonical, placeholder.id);
          }
          const token = newTypedSecret(INVITATION_TOKEN_PREFIX);
          const invitation: InvitationRecord = {
            id: newId('inv', now),
            uuid: newUuid(),
            organizationId,
            targetKey: row.targetKey,
            resourceId: row.resource?.id ?? null,
            role: row.role,
            actions: row.actions,
            email: row.email,
            emailCanonical: row.emailCanonical,
            inviteeUserId: users.get(row.emailCanonical) ?? null,
            inviterUserId: principal.user.id,
            inviterApiKeyId: principal.apiKeyId,
            message: row.input.message || null,
            locale: row.input.locale ?? null,
            metadata: row.input.metadata ?? {},
            status: 'pending',
            deliveryState: options.sendEmail ? 'queued' : 'not_sent',
            deliveryError: null,
            sendCount: options.sendEmail ? 1 : 0,
            tokenHash: sha256(token),
            version: 1,
            createdAt: now,
            updatedAt: now,
            expiresAt: row.expiresAt,
            lastSentAt: options.sendEmail ? now : null,
            respondedAt: null,
            respondedByUserId: null,
            remindAt: options.sendEmail
              ? remindAt(row.expiresAt, settings.reminder_before_expiry_seconds, now)
              : null,
            reminderSentAt: null,
            linkStyle,
          };
          pending.set(`${row.targetKey}|${row.emailCanonical}`, invitation.id);
          livePending++;
          if (!row.resource) seatsTaken++;
          created.push(invitation);
          const acceptUrl = options.linkFor
            ? options.linkFor(invitation, token)
            : await this.#acceptUrlFor(invitation, token);
          if (options.sendEmail) outbox.push(this.#emailMessage(invitation, acceptUrl, now));
          results.set(row.index, {
            index: row.index,
            ok: true,
            invitation,
            ...(options.sendEmail ? {} : { acceptUrl }),
          });
        }
        if (options.atomic && created.length < prepared.length) {
          throw new BatchRejected([...results.values()].filter((result) => !result.ok));
        }
        for (const user of placeholders) await insertUser(trx, user);
        for (const user of revived) {
          if (created.some((invitation) => invitation.inviteeUserId === user.id)) {
            await updateUser(trx, user.id, { status: 'placeholder', updatedAt: now });
          }
        }
        await insertInvitations(trx, created);
        await recordEvents(trx, [
          ...lapsed.map((invitation) =>
            this.#event(invitation, 'invitation.expired', 'pending', 'expired', null, { reason: 'lapsed' }),
          ),
          ...created.map((invitation) =>
            this.#event(invitation, 'invitation.created', null, 'pending', principal, {
              send_email: options.sendEmail,
            }),
          ),
        ]);
        await enqueue(trx, outbox);
      });
    try {
      await write(limited);
    } catch (error) {
      if (limited || !isUniqueViolation(error)) throw error;
      await write(true);
    }
    if (options.sendEmail) this.#onQueued();
    return rows.map((_, index) => results.get(index)!);
  }

  /** Checks each row on its own, without the database lock; failures go straight into `results`. */
  async #prepareRows(
    principal: Principal,
    access: OrganizationAccess,
    rows: InvitationRowInput[],
    now: Date,
    results: Map<number, RowResult>,
  ): Promise<PreparedRow[]> {
    const settings = access.organization.settings;
    const resourceIds = [...new Set(rows.flatMap((row) => (row.resource_id ? [row.resource_id] : [])))];
    const resources = new Map(
      (await findResources(this.#db, resourceIds))
        .filter((resource) => resource.organizationId === access.organization.id)
        .map((resource) => [resource.id, resource]),
    );
    const seen = new Set<string>();
    const prepared: PreparedRow[] = [];
    rows.forEach((input, index) => {
      try {
        const row = this.#prepareRow(principal, access, input, now, resources, settings.default_ttl_seconds);
        const key = `${row.targetKey}|${row.emailCanonical}`;
        if (seen.has(key)) {
          throw new AppError(
            409,
            'duplicate_in_request',
            'Duplicate in request',
            `${row.email} appears more than once for the same target in this request.`,
          );
        }
        seen.add(key);
        prepared.push({ ...row, index });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        results.set(index, { index, ok: false, error });
      }
    });
    return prepared;
  }

  #prepareRow(
    principal: Principal,
    access: OrganizationAccess,
    input: InvitationRowInput,
    now: Date,
    resources: Map<string, ResourceRecord>,
    defaultTtlSeconds: number,
  ): Omit<PreparedRow, 'index'> {
    const settings = access.organization.settings;
    const email = input.email.trim().normalize('NFC');
    const problem = checkEmail(input.email);
    if (problem) throw invalidEmail(input.email, describeEmailProblem(input.email, problem));
    const emailCanonical = canonicalEmail(email);
    if (emailCanonical === principal.user.emailCanonical) {
      throw new AppError(
        422,
        'cannot_invite_self',
        'Cannot invite yourself',
        'You cannot invite your own address.',
      );
    }
    const domain = emailDomain(emailCanonical);
    if (
      domainMatches(domain, settings.blocked_email_domains) ||
      (settings.allowed_email_domains.length > 0 && !domainMatches(domain, settings.allowed_email_domains))
    ) {
      throw new AppError(
        422,
        'email_domain_not_allowed',
        'Email domain not allowed',
        `The organization does not accept invitations to ${domain}.`,
        { extras: { domain } },
      );
    }
    let resource: ResourceRecord | null = null;
    let role: string | null = null;
    let actions: string[] | null = null;
    if (input.resource_id !== undefined) {
      if (input.role !== undefined || input.actions === undefined) {
        throw invalidTarget('A resource invitation takes `actions` and no `role`.');
      }
      resource = resources.get(input.resource_id) ?? null;
      if (!resource) {
        throw new AppError(
          404,
          'resource_not_found',
          'Resource not found',
          'The resource does not exist here.',
          {
            extras: { resource_id: input.resource_id },
          },
        );
      }
      actions = [...new Set(input.actions)].sort();
    } else {
      if (input.actions !== undefined) throw invalidTarget('`actions` needs a `resource_id`.');
      const definition = requireRole(settings.roles, input.role ?? settings.default_role, '/role');
      requireRankAtMost(access, definition);
      role = definition.name;
    }
    return {
      input,
      email,
      emailCanonical,
      targetKey: resource ? resource.id : access.organization.id,
      resource,
      role,
      actions,
      expiresAt: resolveExpiry(input, now, defaultTtlSeconds),
    };
  }

  /** The link the invitee gets: the raw token, or a JWT that resolves to it (see `#byToken`). */
  async #acceptUrlFor(invitation: InvitationRecord, token: string): Promise<string> {
    if (invitation.linkStyle === 'token') return this.acceptUrl(token);
    const jwt = await new SignJWT({ th: invitation.tokenHash })
      .setProtectedHeader({ alg: 'HS256', typ: INVITATION_JWT_TYPE })
      .setIssuer(this.#publicUrl)
      .setAudience(INVITATION_JWT_AUDIENCE)
      .setSubject(invitation.id)
      .setIssuedAt(Math.floor(invitation.updatedAt.getTime() / 1000))
      .sign(this.#keys.invitationSigning);
    return this.acceptUrl(jwt);
  }

  #emailMessage(invitation: InvitationRecord, acceptUrl: string, now: Date): OutboxMessage {
    return {
      id: newId('obx', now),
      kind: 'email',
      topic: 'invitation.email',
      organizationId: invitation.organizationId,
      invitationId: invitation.id,
      dedupeKey: `invitation-email:${invitation.id}:${invitation.sendCount}`,
      // The link is sealed: the outbox is the one place a live token waits, and it waits encrypted.
      payload: {
        invitation_id: invitation.id,
        send_number: invitation.sendCount,
        to: invitation.email,
        locale: invitation.locale,
        sealed_accept_url: encrypt(this.#keys.encryption, acceptUrl),
      },
      createdAt: now,
    };
  }

  #event(
    invitation: InvitationRecord,
    type: EventType,
    fromStatus: InvitationStatus | null,
    toStatus: InvitationStatus | null,
    actor: Principal | null,
    data: Record<string, unknown> = {},
  ): EventRecord {
    return transitionEvent(invitation, type, fromStatus, toStatus, actor, this.#clock.now(), data);
  }

  async #adminInvitation(principal: Principal, organizationRef: string, id: string, action: string) {
    const access = await organizationAccess(this.#db, principal, organizationRef);
    requireAdmin(access, action);
    const invitation = await findInvitation(this.#db, id);
    if (!invitation || invitation.organizationId !== access.organization.id) throw invitationNotFound();
    return { access, invitation };
  }

  async get(principal: Principal, organizationRef: string, id: string): Promise<InvitationRecord> {
    return (await this.#adminInvitation(principal, organizationRef, id, 'see invitations')).invitation;
  }

  async list(
    principal: Principal,
    organizationRef: string,
    query: {
      filter: Omit<InvitationFilter, 'organizationId'>;
      order: InvitationOrder;
      after?: (string | number)[] | undefined;
      pageSize: number;
      includeTotal: boolean;
    },
  ): Promise<InvitationPage> {
    const access = await organizationAccess(this.#db, principal, organizationRef);
    requireAdmin(access, 'see invitations');
    const filter = { ...query.filter, organizationId: access.organization.id };
    return this.#page(filter, query);
  }

  async #page(
    filter: InvitationFilter,
    query: {
      order: InvitationOrder;
      after?: (string | number)[] | undefined;
      pageSize: number;
      includeTotal: boolean;
    },
  ): Promise<InvitationPage> {
    const now = this.#clock.now();
    const { rows, sortKey } = await listInvitations(this.#db, {
      filter,
      order: query.order,
      after: query.after,
      limit: query.pageSize + 1,
      now,
    });
    const hasMore = rows.length > query.pageSize;
    const invitations = hasMore ? rows.slice(0, query.pageSize) : rows;
    const page: InvitationPage = { invitations, nextAfter: hasMore ? sortKey(invitations.at(-1)!) : null };
    if (query.includeTotal) page.totalSize = await countInvitations(this.#db, filter, now);
    return page;
  }

  /**
   * Changes a pending invitation. With `ifMatch`, only the version the caller saw is changed
   * (412 otherwise); without it the change applies to the current version.
   */
  async update(
    principal: Principal,
    organizationRef: string,
    id: string,
    input: InvitationUpdateInput,
    ifMatch: number | undefined,
  ): Promise<InvitationRecord> {
    const { access, invitation } = await this.#adminInvitation(
      principal,
      organizationRef,
      id,
      'change invitations',
    );
    const now = this.#clock.now();
    if (ifMatch !== undefined && ifMatch !== invitation.version) throw preconditionFailed(invitation.version);
    const status = effectiveStatus(invitation, now);
    if (status !== 'pending') throw notPending(status, invitation.id);
    const changes: InvitationChanges = {};
    if (input.role !== undefined) {
      if (invitation.resourceId) throw invalidTarget('A resource invitation has actions, not a role.');
      const role = requireRole(access.organization.settings.roles, input.role);
      requireRankAtMost(access, role);
      changes.role = role.name;
    }
    if (input.actions !== undefined) {
      if (!invitation.resourceId) throw invalidTarget('An organization invitation has a role, not actions.');
      changes.actions = [...new Set(input.actions)].sort();
    }
    if (input.ttl_seconds !== undefined || input.expire_time !== undefined) {
      changes.expiresAt = resolveExpiry(input, now, access.organization.settings.default_ttl_seconds);
      if (invitation.sendCount > 0 && invitation.reminderSentAt === null) {
        changes.remindAt = remindAt(
          changes.expiresAt,
          access.organization.settings.reminder_before_expiry_seconds,
          now,
        );
      }
    }
    if (input.message !== undefined) changes.message = input.message || null;
    if (input.metadata !== undefined) changes.metadata = input.metadata;
    return this.#db.transaction().execute(async (trx) => {
      if (changes.role !== undefined && changes.role !== null) {
        const { roles } = await settingsForWrite(
          trx,
          this.#database.engine,
          invitation.organizationId,
          'share',
        );
        if (!findRole(roles, changes.role)) throw unknownRole(changes.role, roles);
      }
      const updated = await updateIfVersion(trx, id, invitation.version, now, changes);
      if (!updated) throw await this.#conflictAfterRace(trx, id, ifMatch !== undefined);
      await recordEvents(trx, [
        this.#event(updated, 'invitation.updated', 'pending', 'pending', principal, {
          fields: Object.keys(input).sort(),
        }),
      ]);
      return updated;
    });
  }

  /**
   * Sends the invitation again with a fresh token (the old link stops working) and a fresh
   * expiry. Works on pending and expired invitations; bounded by the organization's send cap.
   */
  async resend(
    principal: Principal,
    organizationRef: string,
    id: string,
    options: {
      sendEmail: boolean;
      ttlSeconds?: number | undefined;
      /** False for surfaces that throttle resends their own documented way (CVAT: per user). */
      perInvitationLimit?: boolean;
    },
  ): Promise<{ invitation: InvitationRecord; acceptUrl?: string }> {
    const { access, invitation } = await this.#adminInvitation(
      principal,
      organizationRef,
      id,
      'resend invitations',
    );
    const now = this.#clock.now();
    const status = effectiveStatus(invitation, now);
    if (status !== 'pending' && status !== 'expired') throw notPending(status, invitation.id);
    const settings = access.organization.settings;
    if (options.sendEmail && invitation.sendCount >= settings.max_sends_per_invitation) {
      throw sendLimitReached(invitation, settings);
    }
    if (options.sendEmail && options.perInvitationLimit !== false) {
      const resendRule = this.#limits.perInvitationResend;
      const resends = await this.#limiter.consume(`resend:${invitation.id}`, resendRule);
      if (!resends.allowed) {
        throw tooManyRequests(
          resends,
          resendRule,
          `An invitation may be resent ${resendRule.limit} times per ${describeWindow(resendRule.windowMs)}.`,
          'resend_limit_reached',
        );
      }
    }
    if (options.sendEmail) {
      const refusal = await takeRecipientEmail(
        this.#limiter,
        this.#recipientRules,
        invitation.organizationId,
        invitation.emailCanonical,
        'This address',
      );
      if (refusal) throw refusal;
    }
    const token = newTypedSecret(INVITATION_TOKEN_PREFIX);
    const ttlMs = (options.ttlSeconds ?? settings.default_ttl_seconds) * 1000;
    const changes: InvitationChanges = {
      status: 'pending',
      tokenHash: sha256(token),
      expiresAt: new Date(now.getTime() + ttlMs),
      deliveryState: options.sendEmail ? 'queued' : 'not_sent',
      deliveryError: null,
      reminderSentAt: null,
      remindAt: options.sendEmail
        ? remindAt(new Date(now.getTime() + ttlMs), settings.reminder_before_expiry_seconds, now)
        : null,
      ...(options.sendEmail ? { sendCount: invitation.sendCount + 1, lastSentAt: now } : {}),
    };
    try {
      const result = await this.#db.transaction().execute(async (trx) => {
        await lockOrganization(trx, this.#database.engine, invitation.organizationId);
        // A resend asks for no version check: it applies to the invitation as it is now, so the
        // service's own background work (the sweeper expiring it) never makes it fail.
        const current = (await findInvitation(trx, id)) ?? invitation;
        const currentStatus = effectiveStatus(current, now);
        if (currentStatus !== 'pending' && currentStatus !== 'expired') throw notPending(currentStatus, id);
        if (options.sendEmail) {
          if (current.sendCount >= settings.max_sends_per_invitation)
            throw sendLimitReached(current, settings);
          changes.sendCount = current.sendCount + 1;
        }
        const updated = await updateIfVersion(trx, id, current.version, now, changes);
        if (!updated) throw await this.#conflictAfterRace(trx, id, false);
        const events = [];
        if (current.status === 'pending' && currentStatus === 'expired') {
          events.push(
            this.#event(current, 'invitation.expired', 'pending', 'expired', null, { reason: 'lapsed' }),
          );
        }
        events.push(
          this.#event(updated, 'invitation.resent', currentStatus, 'pending', principal, {
            send_email: options.sendEmail,
          }),
        );
        await recordEvents(trx, events);
        const acceptUrl = await this.#acceptUrlFor(updated, token);
        if (options.sendEmail) await enqueue(trx, [this.#emailMessage(updated, acceptUrl, now)]);
        return { invitation: updated, ...(options.sendEmail ? {} : { acceptUrl }) };
      });
      if (options.sendEmail) this.#onQueued();
      return result;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(
          409,
          'invitation_already_pending',
          'Invitation already pending',
          'Another pending invitation to the same address and target exists; resend that one.',
        );
      }
      throw error;
    }
  }

  /** Revokes by id alone, for wire formats whose paths do not name the organization. */
  async revokeById(principal: Principal, id: string): Promise<InvitationRecord> {
    const invitation = await findInvitation(this.#db, id);
    if (!invitation) throw invitationNotFound();
    return this.revoke(principal, invitation.organizationId, id);
  }

  /**
   * Revokes a pending invitation. With `deactivatePlaceholder`, an invitee who never registered
   * and has no other pending invitation is deactivated too (a later invitation revives them).
   */
  async revoke(
    principal: Principal,
    organizationRef: string,
    id: string,
    options: {
      deactivatePlaceholder?: boolean;
      /** Revoke an expired invitation too, for wire formats in which deleting removes any open one (CVAT). */
      includeExpired?: boolean;
    } = {},
  ): Promise<InvitationRecord> {
    const { invitation } = await this.#adminInvitation(principal, organizationRef, id, 'revoke invitations');
    const now = this.#clock.now();
    const from = effectiveStatus(invitation, now);
    return this.#db.transaction().execute(async (trx) => {
      const changes = { status: 'revoked' as const, respondedAt: now, respondedByUserId: principal.user.id };
      const updated = options.includeExpired
        ? await transitionFromOpen(trx, id, now, changes)
        : await transitionFromPending(trx, id, now, changes);
      if (!updated) throw await this.#notPendingNow(trx, invitation.id);
      if (options.deactivatePlaceholder && updated.inviteeUserId) {
        const invitee = await findUserById(trx, updated.inviteeUserId);
        const stillInvited = await countInvitations(
          trx,
          { emailCanonical: updated.emailCanonical, statuses: ['pending'] },
          now,
        );
        if (invitee?.status === 'placeholder' && stillInvited === 0) {
          await updateUser(trx, invitee.id, { status: 'deactivated', updatedAt: now });
        }
      }
      await recordEvents(trx, [
        this.#event(
          updated,
          'invitation.revoked',
          from === 'expired' ? 'expired' : 'pending',
          'revoked',
          principal,
        ),
      ]);
      return updated;
    });
  }

  /**
   * Accepts as the signed-in invitee. One compare-and-set decides the winner among concurrent
   * accepts; the membership or grant is written in the same transaction, so an accepted
   * invitation always has its access and a failed one never does.
   */
  async accept(principal: Principal, ref: ResponderRef): Promise<InvitationRecord> {
    const invitation = await this.#forResponder(principal, ref);
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const updated = await transitionFromPending(trx, invitation.id, now, {
        status: 'accepted',
        respondedAt: now,
        respondedByUserId: principal.user.id,
        inviteeUserId: principal.user.id,
      });
      if (!updated) throw await this.#notPendingNow(trx, invitation.id);
      if (updated.resourceId) {
        const grant = await findGrant(trx, updated.resourceId, principal.user.id);
        const actions = [...new Set([...(grant?.actions ?? []), ...(updated.actions ?? [])])].sort();
        await putGrant(trx, {
          resourceId: updated.resourceId,
          userId: principal.user.id,
          actions,
          createdAt: grant?.createdAt ?? now,
          updatedAt: now,
        });
      }
      const joined = updated.resourceId
        ? false
        : await this.#joinOrganization(trx, updated, principal.user.id, now);
      await recordEvents(trx, [
        this.#event(updated, 'invitation.accepted', 'pending', 'accepted', principal),
        ...(joined
          ? [
              auditEvent({
                type: 'membership.created',
                organizationId: updated.organizationId,
                subject: { type: 'membership', id: `${updated.organizationId}/${principal.user.id}` },
                actor: principal,
                now,
                invitationId: updated.id,
                data: { user_id: principal.user.id, role: updated.role, via: 'invitation' },
                snapshot: {
                  membership: {
                    organization_id: updated.organizationId,
                    user_id: principal.user.id,
                    email: principal.user.email,
                    role: updated.role,
                  },
                },
              }),
            ]
          : []),
      ]);
      return updated;
    });
  }

  /** An existing member keeps the higher of their role and the invited one; true when newly joined. */
  async #joinOrganization(
    trx: Executor,
    invitation: InvitationRecord,
    userId: string,
    now: Date,
  ): Promise<boolean> {
    const membership = await findMembership(trx, invitation.organizationId, userId);
    if (!membership) {
      await insertMembership(trx, {
        organizationId: invitation.organizationId,
        userId,
        role: invitation.role!,
        createdAt: now,
        updatedAt: now,
      });
      return true;
    }
    const organization = await findOrganization(trx, invitation.organizationId);
    const roles = organization!.settings.roles;
    const current = findRole(roles, membership.role)?.rank ?? -1;
    const invited = findRole(roles, invitation.role!)?.rank ?? -1;
    if (invited > current)
      await setMembershipRole(trx, invitation.organizationId, userId, invitation.role!, now);
    return false;
  }

  async decline(principal: Principal, ref: ResponderRef): Promise<InvitationRecord> {
    const invitation = await this.#forResponder(principal, ref);
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const updated = await transitionFromPending(trx, invitation.id, now, {
        status: 'declined',
        respondedAt: now,
        respondedByUserId: principal.user.id,
        inviteeUserId: principal.user.id,
      });
      if (!updated) throw await this.#notPendingNow(trx, invitation.id);
      await recordEvents(trx, [
        this.#event(updated, 'invitation.declined', 'pending', 'declined', principal),
      ]);
      return updated;
    });
  }

  /**
   * Finds the invitation the caller responds to. By id: visible only to its invitee (an admin
   * of the organization is told they are not the invitee; anyone else gets 404). By token:
   * holding the link proves nothing about identity, so the signed-in email must still match.
   */
  async #forResponder(principal: Principal, ref: ResponderRef): Promise<InvitationRecord> {
    const me = principal.user.emailCanonical;
    if ('token' in ref) {
      const invitation = await this.#byToken(ref.token);
      if (invitation.emailCanonical !== me) {
        throw new AppError(
          403,
          'invitation_email_mismatch',
          'Invitation is for another address',
          `This invitation was sent to ${maskEmail(invitation.email)}; sign in with that address to respond.`,
          { extras: { invited_email: maskEmail(invitation.email) } },
        );
      }
      return invitation;
    }
    const invitation = await findInvitation(this.#db, ref.id);
    if (!invitation) throw invitationNotFound();
    if (invitation.emailCanonical !== me) {
      const access = await organizationAccess(this.#db, principal, invitation.organizationId).catch(
        () => null,
      );
      if (access?.isAdmin) {
        throw new AppError(403, 'not_the_invitee', 'Not the invitee', 'Only the invited person can respond.');
      }
      throw invitationNotFound();
    }
    return invitation;
  }

  /**
   * The invitation a link's secret opens: an `rsvp_it_` token, or an invitation JWT of this
   * instance whose token hash is still the invitation's (a resend rotates it, so older JWTs,
   * like older tokens, stop working).
   */
  async #byToken(token: string): Promise<InvitationRecord> {
    if (isWellFormedTypedSecret(INVITATION_TOKEN_PREFIX, token)) {
      const invitation = await findInvitationByTokenHash(this.#db, sha256(token));
      if (!invitation) throw invitationNotFound();
      return invitation;
    }
    if (token.split('.').length !== 3) throw invitationNotFound();
    let claims: { sub?: string; th?: unknown };
    try {
      ({ payload: claims } = await jwtVerify(token, this.#keys.invitationSigning, {
        algorithms: ['HS256'],
        issuer: this.#publicUrl,
        audience: INVITATION_JWT_AUDIENCE,
        typ: INVITATION_JWT_TYPE,
      }));
    } catch {
      throw invitationNotFound();
    }
    const invitation = claims.sub ? await findInvitation(this.#db, claims.sub) : undefined;
    if (!invitation || typeof claims.th !== 'string' || !constantTimeEqual(claims.th, invitation.tokenHash)) {
      throw invitationNotFound();
    }
    return invitation;
  }

  /** The invitation a link's secret opens, or 404; for surfaces that take the secret in a body. */
  byLinkSecret(secret: string): Promise<InvitationRecord> {
    return this.#byToken(secret);
  }

  /** By id, 404 when none. Access is checked by the action taken. */
  async findById(id: string): Promise<InvitationRecord> {
    const invitation = await findInvitation(this.#db, id);
    if (!invitation) throw invitationNotFound();
    return invitation;
  }

  /** By UUID, the id some wire formats use; 404 when none. Access is checked by the action taken. */
  async findByUuid(uuid: string): Promise<InvitationRecord> {
    const invitation = await findInvitationByUuid(this.#db, uuid);
    if (!invitation) throw invitationNotFound();
    return invitation;
  }

  /**
   * Offset pages with a total, for wire formats that page by number. `scope` says whose
   * invitations: those the caller sent, those addressed to the caller, or an organization's
   * (its admins only).
   */
  async listByOffset(
    principal: Principal,
    query: {
      /**
       * Whose invitations: those the caller sent, received, or either; received or of the
       * organizations the caller administers (`administered`); an organization's (its admins
       * only); or `filtered`, when the caller's surface has already limited `filter` to
       * what the caller may see (CVAT's visibility rules).
       */
      scope: 'sent' | 'received' | 'involved' | 'administered' | 'filtered' | { organizationRef: string };
      filter?: InvitationFilter;
      order: OffsetOrder;
      offset: number;
      limit: number;
    },
  ): Promise<{ invitations: InvitationRecord[]; total: number }> {
    const filter: InvitationFilter = { ...query.filter };
    if (query.scope === 'sent') filter.inviterUserId = principal.user.id;
    else if (query.scope === 'received') filter.emailCanonical = principal.user.emailCanonical;
    else if (query.scope === 'involved') {
      filter.involving = { userId: principal.user.id, emailCanonical: principal.user.emailCanonical };
    } else if (query.scope === 'administered') {
      // Addressed to the caller, or sent by an organization the caller administers.
      const memberships = await membershipsWithCatalog(this.#db, principal.user.id);
      filter.receivedOrOf = {
        emailCanonical: principal.user.emailCanonical,
        organizationIds: memberships
          .filter((membership) => findRole(membership.roles, membership.role)?.admin)
          .map((membership) => membership.organizationId),
      };
    } else if (query.scope !== 'filtered') {
      const access = await organizationAccess(this.#db, principal, query.scope.organizationRef);
      requireAdmin(access, 'see invitations');
      filter.organizationId = access.organization.id;
    }
    const now = this.#clock.now();
    const [invitations, total] = await Promise.all([
      listInvitationsByOffset(this.#db, {
        filter,
        order: query.order,
        offset: query.offset,
        limit: query.limit,
        now,
      }),
      countInvitations(this.#db, filter, now),
    ]);
    return { invitations, total };
  }

  async #notPendingNow(db: Executor, id: string): Promise<AppError> {
    const current = await findInvitation(db, id);
    if (!current) return invitationNotFound();
    return notPending(effectiveStatus(current, this.#clock.now()), id);
  }

  async #conflictAfterRace(db: Executor, id: string, conditional: boolean): Promise<AppError> {
    const current = await findInvitation(db, id);
    if (!current) return invitationNotFound();
    if (conditional) return preconditionFailed(current.version);
    const status = effectiveStatus(current, this.#clock.now());
    if (status !== 'pending' && status !== 'expired') return notPending(status, id);
    return new AppError(
      409,
      'concurrent_modification',
      'Changed meanwhile',
      'The invitation changed meanwhile; retry.',
    );
  }

  /**
   * Everything the invitee page shows for a link, whatever the invitation's state; throws 404
   * for a link that matches nothing (never issued, or replaced by a resend).
   */
  async inspect(token: string) {
    const invitation = await this.#byToken(token);
    const status = effectiveStatus(invitation, this.#clock.now());
    const [organization, inviter, resource] = await Promise.all([
      findOrganization(this.#db, invitation.organizationId),
      findUserById(this.#db, invitation.inviterUserId),
      invitation.resourceId
        ? findResourceInOrganization(this.#db, invitation.organizationId, invitation.resourceId)
        : undefined,
    ]);
    return { invitation, status, organization: organization!, inviter, resource };
  }

  /** What the link tells anyone who holds it: enough to decide, nothing about the invitee. */
  async preview(token: string) {
    const { invitation, status, organization, inviter, resource } = await this.inspect(token);
    if (status !== 'pending') throw notPending(status);
    return {
      organization_name: organization.name,
      inviter_name: inviter?.displayName ?? inviter?.username ?? null,
      role: invitation.role,
      resource: resource ? { type: resource.type, name: resource.name } : null,
      actions: invitation.actions,
      expire_time: invitation.expiresAt.toISOString(),
    };
  }

  /** Invitations addressed to the signed-in user's email, newest first. */
  async listMine(
    principal: Principal,
    query: {
      statuses?: InvitationStatus[] | undefined;
      after?: (string | number)[] | undefined;
      pageSize: number;
    },
  ) {
    const page = await this.#page(
      { emailCanonical: principal.user.emailCanonical, statuses: query.statuses },
      { order: '-create_time', after: query.after, pageSize: query.pageSize, includeTotal: false },
    );
    return { page, ...(await this.describe(page.invitations)) };
  }

  /**
   * The user each invitation is addressed to, by address, for wire formats in which an invitee
   * always has a user (CVAT): a placeholder is made for an address that has none yet, as an
   * invitation made with `placeholderUsers` would have had. Registering takes it over.
   */
  async inviteeUsers(list: InvitationRecord[]): Promise<Map<string, UserRecord>> {
    const emails = [...new Set(list.map((invitation) => invitation.emailCanonical))];
    const users = new Map(
      (await findUsersByCanonicalEmails(this.#db, emails)).map((u) => [u.emailCanonical, u]),
    );
    for (const invitation of list) {
      if (users.has(invitation.emailCanonical)) continue;
      const placeholder = placeholderUser(invitation.email, invitation.emailCanonical, this.#clock.now());
      await insertUser(this.#db, placeholder).catch((error) => {
        if (!isUniqueViolation(error)) throw error;
      });
    }
    if (users.size < emails.length) {
      for (const user of await findUsersByCanonicalEmails(this.#db, emails))
        users.set(user.emailCanonical, user);
    }
    return users;
  }

  /**
   * What it takes to show invitations: their organizations, resources, and the users they name
   * (inviters, invitees, responders), each looked up once.
   */
  async describe(list: InvitationRecord[]) {
    const db = this.#db;
    const unique = (ids: (string | null)[]) => [...new Set(ids.filter((id): id is string => id !== null))];
    const [organizations, resources, users] = await Promise.all([
      findOrganizationsByIds(db, unique(list.map((inv) => inv.organizationId))),
      findResources(db, unique(list.map((inv) => inv.resourceId))),
      findUsersByIds(
        db,
        unique(list.flatMap((inv) => [inv.inviterUserId, inv.inviteeUserId, inv.respondedByUserId])),
      ),
    ]);
    return {
      organizations: new Map(organizations.map((organization) => [organization.id, organization])),
      resources: new Map(resources.map((resource) => [resource.id, resource])),
      users: new Map(users.map((user) => [user.id, user])),
    };
  }

  /** The status as of now (a pending invitation past its expiry reads as expired). */
  statusOf(invitation: InvitationRecord): InvitationStatus {
    return effectiveStatus(invitation, this.#clock.now());
  }

  /** Why an invitation that is not pending cannot be acted on. */
  notPendingError(invitation: InvitationRecord): AppError {
    return notPending(this.statusOf(invitation), invitation.id);
  }

  get now() {
    return this.#clock.now();
  }
}

function sendLimitReached(
  invitation: InvitationRecord,
  settings: { max_sends_per_invitation: number },
): AppError {
  return new AppError(
    409,
    'send_limit_reached',
    'Send limit reached',
    `This invitation was already sent ${invitation.sendCount} times, the organization's limit.`,
    { extras: { limit: settings.max_sends_per_invitation } },
  );
}

function invalidTarget(detail: string): AppError {
  return new AppError(422, 'invalid_target', 'Invalid target', detail);
}

function preconditionFailed(currentVersion: number): AppError {
  return new AppError(
    412,
    'precondition_failed',
    'Precondition failed',
    'The invitation changed since you read it; fetch it again and retry with its new ETag.',
    { extras: { etag: `"${currentVersion}"` } },
  );
}

/** Expiry from `ttl_seconds` or `expire_time` (not both), within 1 hour to 30 days from now. */
function resolveExpiry(
  input: { ttl_seconds?: number | undefined; expire_time?: string | undefined },
  now: Date,
  defaultTtlSeconds: number,
): Date {
  if (input.ttl_seconds !== undefined && input.expire_time !== undefined) {
    throw new AppError(
      422,
      'conflicting_expiry',
      'Conflicting expiry',
      'Give ttl_seconds or expire_time, not both.',
    );
  }
  if (input.expire_time !== undefined) {
    const expiresAt = new Date(input.expire_time);
    const ttl = expiresAt.getTime() - now.getTime();
    if (ttl < MIN_TTL_MS || ttl > MAX_TTL_MS) {
      throw new AppError(
        422,
        'invalid_expire_time',
        'Expiry out of range',
        'expire_time must be between 1 hour and 30 days from now.',
        { extras: { errors: [{ pointer: '/expire_time', detail: 'between 1 hour and 30 days from now' }] } },
      );
    }
    return expiresAt;
  }
  return new Date(now.getTime() + (input.ttl_seconds ?? defaultTtlSeconds) * 1000);
}

/** When to remind before `expiresAt`; null when the organization sends no reminders or it is too late. */
function remindAt(expiresAt: Date, beforeSeconds: number | null, now: Date): Date | null {
  if (beforeSeconds === null) return null;
  const at = new Date(expiresAt.getTime() - beforeSeconds * 1000);
  return at > now ? at : null;
}

function placeholderUser(email: string, emailCanonical: string, now: Date): UserRecord {
  return {
    id: newId('usr', now),
    uuid: newUuid(),
    email,
    emailCanonical,
    username: null,
    displayName: null,
    passwordHash: null,
    status: 'placeholder',
    isInstanceAdmin: false,
    externalId: null,
    createdAt: now,
    updatedAt: now,
  };
}
