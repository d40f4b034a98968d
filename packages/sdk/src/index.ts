/**
 * Typed client for the rsvp native API. The types come from openapi.json (regenerate with
 * `npm run openapi`); requests go through openapi-fetch.
 *
 * @example
 * const rsvp = createRsvpClient({ baseUrl: 'http://localhost:8080', apiKey: process.env.RSVP_API_KEY });
 * const { data, error } = await rsvp.POST('/v1/organizations/{org_id}/invitations', {
 *   params: { path: { org_id: 'acme' } },
 *   body: { email: 'ada@example.com', role: 'member' },
 * });
 */
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.ts';

export type { components, paths };
export type Invitation = components['schemas']['Invitation'];
export type Problem = components['schemas']['Problem'];

export interface RsvpClientOptions extends ClientOptions {
  /** An API key (`rsvp_sk_…`) or an access token from /oauth/token. */
  apiKey?: string | undefined;
}

export function createRsvpClient({ apiKey, headers, ...options }: RsvpClientOptions) {
  return createClient<paths>({
    ...options,
    headers: {
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      ...(headers as Record<string, string>),
    },
  });
}
