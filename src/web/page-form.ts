import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '../access/principal.ts';
import type { UserRecord } from '../access/user-record.ts';
import { type BrowserSessions, sameOrigin } from './browser-session.ts';

/**
 * A form POST of one of the pages (invitee, join, sign-up), parsed and checked: its fields match
 * the schema, it was sent from our own origin, and it carries the CSRF token its page gave.
 * `invalid`: a field is missing or over its length (our pages bound every field, so a browser of
 * ours sends this only when a field was tampered with); `forged`: the origin or the token is wrong
 * (another site posted it, or the page is stale). Each page says so in its own words.
 */
export function readPageForm<T extends z.ZodType>(
  deps: { sessions: BrowserSessions; publicUrl: string },
  request: FastifyRequest,
  schema: T,
): { form: z.output<T> } | { refusal: 'invalid' | 'forged' } {
  const parsed = schema.safeParse(request.body ?? {});
  if (!parsed.success) return { refusal: 'invalid' };
  const csrf = (parsed.data as { csrf?: string }).csrf;
  if (!sameOrigin(request, deps.publicUrl) || !deps.sessions.validCsrf(request, csrf))
    return { refusal: 'forged' };
  return { form: parsed.data };
}

/** The principal of a page's signed-in visitor, as the API would see the same browser session. */
export const sessionPrincipal = (user: UserRecord, request: FastifyRequest): Principal => ({
  method: 'session',
  user,
  apiKeyId: null,
  scopes: 'all',
  client: { ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 512) ?? null },
});
