import { z } from 'zod';
import type { Principal } from '../../access/principal.ts';
import type { App } from '../../http/app-types.ts';
import type { OrganizationRecord } from '../../organizations/organization.repository.ts';
import type { Services } from '../../services.ts';
import {
  META,
  organizationRefOfWorkspace,
  PAYMENT_ACTIONS,
  PAYMENT_RESOURCE_NAME,
  PAYMENT_RESOURCE_TYPE,
} from './tiledb.mapping.ts';
import { nothingToCancel, type Recipient, v1Kit } from './tiledb-v1.shared.ts';

const Name = z.string().min(1).max(200);
/** Path parameters of either dialect: `{namespace}`, or `{workspace}/{teamspace}`. */
type PlaceParams = { namespace?: string; workspace?: string; teamspace?: string };
const SharePaymentBody = z.object({ namespaces: z.array(z.string().max(200)).min(1).max(1000) });

/**
 * TileDB v1 payment shares: a namespace invites other namespaces (users by username,
 * organizations by name) to use its payment method. The payment method is a resource of the
 * organization (see `PAYMENT_RESOURCE_TYPE`); the invitation goes to the user, or to the owner
 * who answers for the organization, and accepting grants `use` on it. Both path dialects.
 */
export function tiledbV1PaymentRoutes(
  app: App,
  services: Services,
  places: readonly { path: string; params: Record<string, typeof Name> }[],
) {
  const { invitations } = services;
  const { sendAll, organizationOf, cancel } = v1Kit(services);

  /** Who answers for a namespace: a user's address, or an organization owner's. Never an email. */
  async function namespaceRecipients(sharer: OrganizationRecord, names: string[]): Promise<Recipient[]> {
    return Promise.all(
      names.map(async (given) => {
        const name = given.trim();
        if (name === '' || name.includes('@')) return { given, email: null };
        const user = await services.users.emailOfUsername(name);
        if (user) return { given, email: user };
        const organization = await services.organizations.find(organizationRefOfWorkspace(name));
        if (!organization || organization.id === sharer.id) return { given, email: null };
        return { given, email: (await services.memberships.ownerEmailOf(organization)) ?? null };
      }),
    );
  }

  /** The sharer's organization: from `{namespace}`, or from `{workspace}` (the teamspace names no billing). */
  const sharerOf = (principal: Principal, params: unknown) => {
    const place = params as PlaceParams;
    return organizationOf(principal, (place.namespace ?? place.workspace)!);
  };

  for (const place of places) {
    app.post(`/v1/invitations/share_payment/${place.path}`, {
      config: { auth: { scope: 'invitations:write' } },
      schema: { params: z.object(place.params), body: SharePaymentBody },
      handler: async (request, reply) => {
        const principal = request.principal!;
        const organization = await sharerOf(principal, request.params);
        const payment = await services.resources.ensure(
          principal,
          organization.id,
          PAYMENT_RESOURCE_TYPE,
          PAYMENT_RESOURCE_NAME,
        );
        return sendAll(
          reply,
          principal,
          organization.id,
          await namespaceRecipients(organization, request.body.namespaces),
          (email, person) => ({
            email,
            resource_id: payment.id,
            actions: PAYMENT_ACTIONS,
            metadata: { [META.invitedNamespace]: person.given.trim() },
          }),
        );
      },
    });

    // Cancels the pending payment share to `{target}`, the namespace as the share named it.
    app.delete(`/v1/invitations/share_payment/${place.path}/:target`, {
      config: { auth: { scope: 'invitations:write' } },
      schema: { params: z.object({ ...place.params, target: Name }) },
      handler: async (request, reply) => {
        const principal = request.principal!;
        const organization = await sharerOf(principal, request.params);
        const { invitations: pending } = await invitations.listByOffset(principal, {
          scope: { organizationRef: organization.id },
          filter: { statuses: ['pending'], resourceType: PAYMENT_RESOURCE_TYPE },
          order: '-create_time',
          offset: 0,
          limit: 1000,
        });
        const target = request.params.target.trim();
        const found = pending.find((invitation) => invitation.metadata[META.invitedNamespace] === target);
        if (!found) throw nothingToCancel();
        return cancel(principal, found, async () => true, reply);
      },
    });
  }
}
