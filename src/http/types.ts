import type { Principal, Scope } from '../auth/principal.ts';

/** Every route says who may call it; a route that does not is refused at registration. */
export type RouteAuth = 'public' | 'authenticated' | { scope: Scope };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal: Principal | null;
    idempotency: { owner: string; key: string } | undefined;
  }
}
