import type { Principal } from '../access/principal.ts';
import { requireRole } from '../access/roles.ts';
import {
  canonicalEmail,
  checkEmail,
  describeEmailProblem,
  domainMatches,
  emailDomain,
} from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { describeWindow, tooManyRequests } from '../lib/rate-limiter.ts';
import { type OrganizationAccess, requireRankAtMost } from '../organizations/organization.access.ts';
import { findResources, type ResourceRecord } from '../resources/resource.repository.ts';
import { invalidEmail } from '../users/user.errors.ts';
import {
  type InvitationDeps,
  invalidTarget,
  recipientRules,
  requireAllowedRedirect,
  resolveExpiry,
} from './invitation.context.ts';
import type { InvitationGrant, InvitationRecord } from './invitation.repository.ts';
import type { InvitationRowInput } from './invitation.schemas.ts';
import { targetShapeProblem } from './invitation.target.ts';
import { takeRecipientEmail } from './recipient-limits.ts';

// Creating, first half: each row is checked on its own, before any lock is taken, and the
// abuse limits are charged. A failing row goes into `results` and never stops the others.

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

export type RowResult =
  | { index: number; ok: true; invitation: InvitationRecord; acceptUrl?: string }
  | { index: number; ok: false; error: AppError };

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

export interface PreparedRow {
  index: number;
  input: InvitationRowInput;
  email: string;
  emailCanonical: string;
  targetKey: string;
  resource: ResourceRecord | null;
  role: string | null;
  actions: string[] | null;
  /** A combined invitation's grants, each onto a resource of the organization. */
  grants: InvitationGrant[] | null;
  expiresAt: Date;
}

/** Every target a row holds while pending: its own, and each resource a combined row grants. */
export const targetKeysOf = (row: Pick<PreparedRow, 'targetKey' | 'grants'>) => [
  row.targetKey,
  ...(row.grants ?? []).map((grant) => grant.resourceId),
];

/** Checks each row on its own, without the database lock; failures go straight into `results`. */
export async function prepareRows(
  deps: InvitationDeps,
  principal: Principal,
  access: OrganizationAccess,
  rows: InvitationRowInput[],
  now: Date,
  results: Map<number, RowResult>,
): Promise<PreparedRow[]> {
  const settings = access.organization.settings;
  const resourceIds = [
    ...new Set(
      rows.flatMap((row) => [
        ...(row.resource_id ? [row.resource_id] : []),
        ...(row.grants ?? []).map((grant) => grant.resource_id),
      ]),
    ),
  ];
  const resources = new Map(
    (await findResources(deps.database.db, resourceIds))
      .filter((resource) => resource.organizationId === access.organization.id)
      .map((resource) => [resource.id, resource]),
  );
  const seen = new Set<string>();
  const prepared: PreparedRow[] = [];
  rows.forEach((input, index) => {
    try {
      requireAllowedRedirect(deps, input.redirect_url, '/redirect_url');
      const row = prepareRow(principal, access, input, now, resources, settings.default_ttl_seconds);
      const keys = targetKeysOf(row).map((target) => `${target}|${row.emailCanonical}`);
      if (keys.some((key) => seen.has(key))) {
        throw new AppError(
          409,
          'duplicate_in_request',
          'Duplicate in request',
          `${row.email} appears more than once for the same target in this request.`,
        );
      }
      for (const key of keys) seen.add(key);
      prepared.push({ ...row, index });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      results.set(index, { index, ok: false, error });
    }
  });
  return prepared;
}

function prepareRow(
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
  const shapeProblem = targetShapeProblem(input);
  if (shapeProblem) throw invalidTarget(shapeProblem);
  if (input.resource_id !== undefined) {
    resource = resourceOf(resources, input.resource_id);
    actions = [...new Set(input.actions)].sort();
  } else {
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
    grants: input.grants ? grantsOf(input.grants, resources) : null,
    expiresAt: resolveExpiry(input, now, defaultTtlSeconds),
  };
}

function resourceOf(resources: Map<string, ResourceRecord>, id: string): ResourceRecord {
  const resource = resources.get(id);
  if (resource) return resource;
  throw new AppError(404, 'resource_not_found', 'Resource not found', 'The resource does not exist here.', {
    extras: { resource_id: id },
  });
}

/** A combined invitation's grants, each onto a resource of the organization (named once: targetShapeProblem). */
function grantsOf(
  input: { resource_id: string; actions: string[] }[],
  resources: Map<string, ResourceRecord>,
): InvitationGrant[] {
  return input.map((grant) => {
    return {
      resourceId: resourceOf(resources, grant.resource_id).id,
      actions: [...new Set(grant.actions)].sort(),
    };
  });
}

/**
 * The inviter's cap is taken for the whole request at once (all or nothing); the recipient
 * cap row by row, so one over-invited address fails only its own row.
 */
export async function applyAbuseLimits(
  deps: InvitationDeps,
  principal: Principal,
  organizationId: string,
  prepared: PreparedRow[],
  sendEmail: boolean,
  results: Map<number, RowResult>,
): Promise<PreparedRow[]> {
  if (prepared.length === 0) return prepared;
  const inviterRule = deps.abuseLimits.perInviter;
  const inviter = await deps.rateLimiter.consume(
    `inviter:${principal.user.id}`,
    inviterRule,
    prepared.length,
  );
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
        deps.rateLimiter,
        recipientRules(deps),
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
