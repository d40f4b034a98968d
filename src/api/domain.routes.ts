import { z } from 'zod';
import { type App, COMMON, problems } from '../http/app-types.ts';
import {
  DomainCreateSchema,
  DomainListSchema,
  DomainSchema,
  DomainUpdateSchema,
  JoinResultSchema,
  SuggestedOrganizationListSchema,
} from '../joining/joining.schemas.ts';
import { domainView, joinRequestView } from '../joining/joining.views.ts';
import { OrgParams } from '../organizations/organization.schemas.ts';
import type { Services } from '../services.ts';

const TAGS = ['Domains'];
const DomainParams = OrgParams.extend({
  domain: z.string().max(253).describe('The domain name (or its id, `dom_…`).'),
});

/** Verified domains, and the organizations they offer to the people with an address there. */
export function domainRoutes(app: App, services: Services) {
  registerAddDomain(app, services);
  registerListDomains(app, services);
  registerGetDomain(app, services);
  registerUpdateDomain(app, services);
  registerVerifyDomain(app, services);
  registerRemoveDomain(app, services);
  registerListSuggestedOrganizations(app, services);
  registerJoinSuggestedOrganization(app, services);
}

function registerAddDomain(app: App, services: Services) {
  const domains = services.domains;
  app.post('/v1/organizations/:org_id/domains', {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'addDomain',
      summary: 'Add a domain',
      description:
        'Starts verification: publish the returned TXT record, then call verify. `join_mode` and `role` ' +
        'apply once the domain is verified. Admins only.',
      params: OrgParams,
      body: DomainCreateSchema,
      response: {
        201: DomainSchema.describe('The domain, with the TXT record to publish.'),
        ...problems(...COMMON, 409, 422),
      },
    },
    handler: async (request, reply) => {
      const domain = await domains.add(request.principal!, request.params.org_id, request.body);
      reply
        .code(201)
        .header('location', `/v1/organizations/${domain.organizationId}/domains/${domain.domain}`);
      return domainView(domain);
    },
  });
}

function registerListDomains(app: App, services: Services) {
  const domains = services.domains;
  app.get('/v1/organizations/:org_id/domains', {
    config: { auth: { scope: 'organizations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listDomains',
      summary: 'List domains',
      description: 'The organization’s domains, verified or not, with the TXT record each needs.',
      params: OrgParams,
      response: { 200: DomainListSchema.describe('The domains.'), ...problems(...COMMON) },
    },
    handler: async (request) => ({
      domains: (await domains.list(request.principal!, request.params.org_id)).map(domainView),
    }),
  });
}

function registerGetDomain(app: App, services: Services) {
  const domains = services.domains;
  app.get('/v1/organizations/:org_id/domains/:domain', {
    config: { auth: { scope: 'organizations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getDomain',
      summary: 'Get a domain',
      description: 'One domain: its verification state, the TXT record to publish, and how its people join.',
      params: DomainParams,
      response: { 200: DomainSchema.describe('The domain.'), ...problems(...COMMON) },
    },
    handler: async (request) =>
      domainView(await domains.get(request.principal!, request.params.org_id, request.params.domain)),
  });
}

function registerUpdateDomain(app: App, services: Services) {
  const domains = services.domains;
  app.patch('/v1/organizations/:org_id/domains/:domain', {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'updateDomain',
      summary: 'Change how a domain lets people join',
      description:
        'Changes how people of the domain join (offered, automatic or not at all), their role, or whether an admin approves.',
      params: DomainParams,
      body: DomainUpdateSchema,
      response: { 200: DomainSchema.describe('The domain as changed.'), ...problems(...COMMON, 422) },
    },
    handler: async (request) =>
      domainView(
        await domains.update(request.principal!, request.params.org_id, request.params.domain, request.body),
      ),
  });
}

function registerVerifyDomain(app: App, services: Services) {
  const domains = services.domains;
  app.post('/v1/organizations/:org_id/domains/:domain/verify', {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'verifyDomain',
      summary: 'Verify a domain',
      description:
        'Looks up the TXT record now. Missing or different: 422 `domain_not_verified` saying what was ' +
        'found. Verified by another organization: 409. Checks are rate limited per organization.',
      params: DomainParams,
      response: {
        200: DomainSchema.describe('The domain after the check (`check_error` says why it failed).'),
        ...problems(...COMMON, 409, 422, 429),
      },
    },
    handler: async (request) =>
      domainView(await domains.verify(request.principal!, request.params.org_id, request.params.domain)),
  });
}

function registerRemoveDomain(app: App, services: Services) {
  const domains = services.domains;
  app.delete('/v1/organizations/:org_id/domains/:domain', {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'removeDomain',
      summary: 'Remove a domain',
      description: 'Nobody joins through it any more; members who joined through it stay.',
      params: DomainParams,
      response: { 204: z.null().describe('Removed.'), ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      await domains.remove(request.principal!, request.params.org_id, request.params.domain);
      return reply.code(204).send(null);
    },
  });
}

function registerListSuggestedOrganizations(app: App, services: Services) {
  const domains = services.domains;
  app.get('/v1/me/suggested-organizations', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: {
      tags: TAGS,
      operationId: 'listSuggestedOrganizations',
      summary: 'Organizations I may join through my address domain',
      description:
        "Organizations that verified the domain of the signed-in user's address and offer to let people join.",
      response: {
        200: SuggestedOrganizationListSchema.describe(
          'Organizations you may join through your address’s domain.',
        ),
        ...problems(401, 403),
      },
    },
    handler: async (request) => ({
      organizations: (await domains.suggestions(request.principal!)).map(({ domain, organization }) => ({
        organization: { id: organization.id, slug: organization.slug, name: organization.name },
        domain: domain.domain,
        role: domain.role,
        requires_approval: domain.requiresApproval,
      })),
    }),
  });
}

function registerJoinSuggestedOrganization(app: App, services: Services) {
  const domains = services.domains;
  app.post('/v1/me/suggested-organizations/:org_id/join', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: {
      tags: TAGS,
      operationId: 'joinSuggestedOrganization',
      summary: 'Join an organization through my address domain',
      description: 'Joins with the domain’s role, or files a join request when the domain needs approval.',
      params: OrgParams,
      response: {
        200: JoinResultSchema.describe('Joined, or a request now waits for an admin.'),
        ...problems(...COMMON, 402, 409, 429),
      },
    },
    handler: async (request) => {
      const { request: joined, organization } = await domains.join(request.principal!, request.params.org_id);
      return {
        status: joined.status === 'pending' ? ('pending' as const) : ('joined' as const),
        organization: { id: organization.id, name: organization.name },
        join_request: joinRequestView(joined),
      };
    },
  });
}
