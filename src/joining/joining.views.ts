import type { DomainRecord } from './domain.repository.ts';
import { challengeName } from './domain-check.ts';
import { type JoinLinkRecord, linkStatus } from './join-link.repository.ts';
import type { JoinRequestRecord } from './join-request.repository.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function joinLinkView(link: JoinLinkRecord, now: Date) {
  return {
    id: link.id,
    organization_id: link.organizationId,
    role: link.role,
    resource_id: link.resourceId,
    actions: link.actions,
    description: link.description,
    status: linkStatus(link, now),
    max_uses: link.maxUses,
    use_count: link.useCount,
    allowed_domain: link.allowedDomain,
    requires_approval: link.requiresApproval,
    created_by: link.createdByUserId,
    create_time: link.createdAt.toISOString(),
    expire_time: link.expiresAt.toISOString(),
    rotate_time: iso(link.rotatedAt),
    revoke_time: iso(link.revokedAt),
    last_use_time: iso(link.lastUsedAt),
  };
}

export function joinRequestView(
  request: JoinRequestRecord & { email?: string; displayName?: string | null },
) {
  return {
    id: request.id,
    organization_id: request.organizationId,
    user_id: request.userId,
    ...(request.email !== undefined ? { email: request.email } : {}),
    ...(request.displayName !== undefined ? { display_name: request.displayName } : {}),
    role: request.role,
    resource_id: request.resourceId,
    actions: request.actions,
    source: request.source,
    join_link_id: request.joinLinkId,
    domain: request.domain,
    status: request.status,
    reason: request.reason,
    decided_by: request.decidedByUserId,
    create_time: request.createdAt.toISOString(),
    decide_time: iso(request.decidedAt),
  };
}

export function domainView(domain: DomainRecord) {
  return {
    id: domain.id,
    organization_id: domain.organizationId,
    domain: domain.domain,
    status: domain.status,
    join_mode: domain.joinMode,
    role: domain.role,
    requires_approval: domain.requiresApproval,
    txt_record: { name: challengeName(domain.domain), value: domain.verificationToken },
    create_time: domain.createdAt.toISOString(),
    verify_time: iso(domain.verifiedAt),
    check_time: iso(domain.checkedAt),
    check_error: domain.checkError,
  };
}
