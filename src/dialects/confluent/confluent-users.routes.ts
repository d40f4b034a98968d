import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { UserRecord } from '../../access/user-record.ts';
import type { App } from '../../http/app-types.ts';
import { linkOn } from '../../http/host.ts';
import { AppError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { API_VERSION, confluentOrganizationOf, userIdOf } from './confluent.routes.ts';

const IdParams = z.object({ id: z.string().max(255) });

const notFound = () => new AppError(404, 'user_not_found', 'Not Found', 'The user does not exist.');

/**
 * IAM v2 `GET /iam/v2/users/{id}`: the user an invitation's `user` and `creator` links name.
 * Visible to the caller when it is themselves, a member of the caller's organization, or (for
 * the organization's admins) someone its invitations were sent to or by.
 */
export function confluentUserRoutes(app: App, services: Services, deps: { listenerUrl: string }) {
  const organizationOf = (request: FastifyRequest) => confluentOrganizationOf(services, request);

  /** `named`: the caller may see who the account is (themselves, or a member of the organization). */
  async function visible(request: FastifyRequest, user: UserRecord): Promise<{ named: boolean } | null> {
    const principal = request.principal!;
    if (user.id === principal.user.id) return { named: true };
    const organization = await organizationOf(request);
    if (await services.memberships.roleOf(organization.id, user.id)) return { named: true };
    const involved = async (filter: { emailCanonical?: string; inviterUserId?: string }) =>
      (
        await services.invitations.listByOffset(principal, {
          scope: { organizationRef: organization.id },
          filter,
          order: 'create_time',
          offset: 0,
          limit: 1,
        })
      ).total > 0;
    try {
      // Someone the organization only invited is shown by address alone: an invitation tells
      // its inviter nothing about the account behind an address (its name).
      if (await involved({ inviterUserId: user.id })) return { named: true };
      return (await involved({ emailCanonical: user.emailCanonical })) ? { named: false } : null;
    } catch (error) {
      if (error instanceof AppError && error.status === 403) return null;
      throw error;
    }
  }

  app.get('/iam/v2/users/:id', {
    config: { auth: { scope: 'users:read' } },
    schema: { params: IdParams },
    handler: async (request) => {
      const match = /^u-([0-9a-v]{20})$/.exec(request.params.id);
      const user = match ? await services.users.findById(`usr_${match[1]}`) : undefined;
      const shown = user ? await visible(request, user) : null;
      if (!user || !shown) throw notFound();
      const id = userIdOf(user.id);
      return {
        api_version: API_VERSION,
        kind: 'User',
        id,
        metadata: {
          self: linkOn(deps.listenerUrl, `/iam/v2/users/${id}`).toString(),
          resource_name: `crn://confluent.cloud/user=${id}`,
          created_at: user.createdAt.toISOString(),
          updated_at: user.updatedAt.toISOString(),
        },
        email: user.email,
        full_name: shown.named ? (user.displayName ?? '') : '',
        auth_type: 'AUTH_TYPE_LOCAL',
      };
    },
  });
}
