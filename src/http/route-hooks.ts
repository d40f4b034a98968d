import type { RouteOptions } from 'fastify';

type HookName = 'onRequest' | 'preValidation' | 'preHandler' | 'onSend' | 'onResponse';

/** The HTTP methods a route answers (Fastify gives one or a list). */
export function methodsOf(route: Pick<RouteOptions, 'method'>): string[] {
  return Array.isArray(route.method) ? route.method : [route.method];
}

/**
 * Puts `hook` on one route, ahead of the route's own hooks of that name: where an app-wide hook
 * would have run, but only on the routes it can matter to, so that the others (the GETs of the
 * hot path) do not pay a hook that does nothing for them. Call from an `onRoute` hook.
 */
export function addRouteHook<H extends HookName>(route: RouteOptions, name: H, hook: unknown): void {
  const existing = route[name] as unknown;
  const own = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  (route as unknown as Record<H, unknown[]>)[name] = [hook, ...own];
}
