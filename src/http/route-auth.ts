import type { RouteOptions } from 'fastify';
import { SCOPES, type Scope } from '../access/principal.ts';
import { AppError } from '../lib/errors.ts';
import type { RouteAuth } from './types.ts';

/** A route as registered, with what it demands of its caller. */
export interface DeclaredRoute {
  method: string;
  url: string;
  auth: RouteAuth;
}

const declared = new WeakMap<object, DeclaredRoute[]>();

/**
 * Registration-time check of a route's auth declaration: `'public'` or a known scope, nothing
 * else. Throws (so the app does not start) for a route that declares neither. Records the route
 * so `declaredRoutes` can enumerate what an app serves.
 */
export function declareRoute(app: object, route: RouteOptions): void {
  const auth = route.config?.auth as unknown;
  const valid =
    auth === 'public' ||
    (typeof auth === 'object' &&
      auth !== null &&
      (SCOPES as readonly string[]).includes((auth as { scope?: unknown }).scope as string));
  if (!valid) {
    throw new Error(
      `route ${String(route.method)} ${route.url} must declare auth: 'public' or { scope: <one of rsvp's scopes> }`,
    );
  }
  const list = declared.get(app) ?? [];
  for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
    if (method === 'HEAD' || method === 'OPTIONS') continue;
    list.push({ method, url: route.url, auth: auth as RouteAuth });
  }
  declared.set(app, list);
}

/** Every route an app registered with its auth declaration, in registration order. */
export function declaredRoutes(app: object): readonly DeclaredRoute[] {
  return declared.get(app) ?? [];
}

/** 403 for a credential that lacks the route's scope; the same on every listener. */
export function insufficientScope(scope: Scope): AppError {
  return new AppError(
    403,
    'insufficient_scope',
    'Insufficient scope',
    `This call needs the ${scope} scope.`,
    {
      extras: { scope },
      headers: {
        'www-authenticate': `Bearer realm="rsvp", error="insufficient_scope", scope="${scope}"`,
      },
    },
  );
}
