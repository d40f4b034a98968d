import type { InvitationRowInput } from './invitation.schemas.ts';

/**
 * Why a row's target fields do not make one invitation, in the API's words (422
 * `invalid_target`); null when they do. Checked by the server, and by the CLI before it sends
 * anything: a resource invitation takes `actions` and no `role`; a combined one takes `grants`,
 * each resource once, and no `resource_id`; an organization invitation takes no `actions`.
 */
export function targetShapeProblem(
  input: Pick<InvitationRowInput, 'resource_id' | 'role' | 'actions' | 'grants'>,
): string | null {
  if (input.resource_id !== undefined) {
    if (input.grants !== undefined) {
      return '`grants` make a combined organization invitation; it takes no `resource_id`.';
    }
    if (input.role !== undefined || input.actions === undefined) {
      return 'A resource invitation takes `actions` and no `role`; for a role plus resources, give `grants`.';
    }
    return null;
  }
  if (input.actions !== undefined) return '`actions` needs a `resource_id`.';
  const named = new Set<string>();
  for (const grant of input.grants ?? []) {
    if (named.has(grant.resource_id))
      return `Resource ${grant.resource_id} appears more than once in \`grants\`.`;
    named.add(grant.resource_id);
  }
  return null;
}
