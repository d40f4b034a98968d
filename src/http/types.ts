import type { Principal, Scope } from '../access/principal.ts';

/**
 * Every route says who may call it: anyone (`'public'`), or an authenticated caller whose
 * credential holds `scope`. There is no "any authenticated caller": a route that does not name
 * its scope does not type-check, and is refused at registration (`http/route-auth.ts`).
 */
export type RouteAuth = 'public' | { scope: Scope };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** Headers a response of this route carries beyond the shared ones, for the OpenAPI document. */
    responseHeaders?: Partial<Record<number, readonly ('ETag' | 'Location' | 'Retry-After')[]>>;
  }
  interface FastifyRequest {
    principal: Principal | null;
    idempotency: { owner: string; key: string } | undefined;
  }
}
