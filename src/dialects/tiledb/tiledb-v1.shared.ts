import type { FastifyReply } from 'fastify';
import type { Principal } from '../../access/principal.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import type { RowResult } from '../../invitations/invitation.service.ts';
import { AppError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { organizationRefOfWorkspace, parseResourceRef } from './tiledb.mapping.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const cannotFind = () =>
  new AppError(404, 'invitation_not_found', 'Not found', 'Could not find invitation identifier');
export const nothingToCancel = () =>
  new AppError(404, 'invitation_not_found', 'Not found', 'No invitation was found to cancel');

export type Recipient = { given: string; email: string | null };
export type Row = Parameters<Services['invitations']['create']>[2][number];

/** What every v1 operation needs: recipients, the 204/207/500 answer, lookups and cancels. */
export function v1Kit(services: Services) {
  const { invitations } = services;

  /** Usernames become the user's address; an unknown name fails as its own recipient. */
  async function recipients(names: string[]): Promise<Recipient[]> {
    return Promise.all(
      names.map(async (given) => {
        const trimmed = given.trim();
        if (trimmed.includes('@')) return { given, email: given };
        return { given, email: (await services.users.emailOfUsername(trimmed)) ?? null };
      }),
    );
  }

  /** 204 when every recipient was invited, 207 when some failed, 500 when none was. */
  async function sendAll(
    reply: FastifyReply,
    principal: Principal,
    organizationId: string,
    people: Recipient[],
    row: (email: string, person: Recipient) => Row,
  ) {
    const known = people.filter((person) => person.email !== null);
    const results: RowResult[] =
      known.length > 0
        ? await invitations.create(
            principal,
            organizationId,
            known.map((person) => row(person.email!, person)),
            { sendEmail: true },
          )
        : [];
    const failedKnown = new Set(results.flatMap((result) => (result.ok ? [] : [known[result.index]!])));
    const failed = people
      .filter((person) => person.email === null || failedKnown.has(person))
      .map((person) => person.given);
    if (failed.length === 0) return reply.code(204).send();
    return reply.code(failed.length === people.length ? 500 : 207).send({ failed_recipients: failed });
  }

  /** A namespace (or workspace) is an organization, by name (slug), UUID or `ws_` id. */
  const organizationOf = async (principal: Principal, namespace: string) =>
    (await services.organizations.get(principal, organizationRefOfWorkspace(namespace))).organization;

  async function byUuid(uuid: string, missing: () => AppError): Promise<InvitationRecord> {
    if (!UUID.test(uuid)) throw missing();
    return invitations.findByUuid(uuid).catch(() => {
      throw missing();
    });
  }

  /** Cancels when the invitation is pending and is what the path says; 404 otherwise. */
  async function cancel(
    principal: Principal,
    invitation: InvitationRecord,
    matches: (invitation: InvitationRecord) => Promise<boolean>,
    reply: FastifyReply,
  ) {
    if (invitations.statusOf(invitation) !== 'pending' || !(await matches(invitation)))
      throw nothingToCancel();
    await invitations.revoke(principal, invitation.organizationId, invitation.id);
    return reply.code(204).send();
  }

  const sameOrganization = async (principal: Principal, invitation: InvitationRecord, ref: string) =>
    (await organizationOf(principal, ref).catch(() => null))?.id === invitation.organizationId;

  return { recipients, sendAll, organizationOf, byUuid, cancel, sameOrganization };
}

/**
 * Where an array or group is: the namespace dialect names `{namespace}/{name}`; the
 * workspace/teamspace dialect names `{workspace}/{teamspace}/{name}`, which is the resource
 * `{teamspace}/{name}` of the workspace's organization. A name may itself be a `tiledb://` URI.
 */
export function resourceIn(params: {
  namespace?: string;
  workspace?: string;
  teamspace?: string;
  name: string;
}): { namespace: string; name: string } {
  const ref = parseResourceRef(params.name);
  if (params.workspace !== undefined) {
    return ref.namespace
      ? { namespace: ref.namespace, name: ref.name }
      : { namespace: params.workspace, name: `${params.teamspace}/${ref.name}` };
  }
  return { namespace: ref.namespace ?? params.namespace!, name: ref.name };
}

/** Metadata without its empty values. */
export function metadataOf(entries: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== ''));
}
