/**
 * Typed client for the rsvp native API. The types come from openapi.json (regenerate with
 * `npm run openapi`); requests go through openapi-fetch. No Node-only import here: the same
 * build runs on Node ≥ 20, Deno, Bun and in browser bundles.
 *
 * @example
 * const rsvp = createRsvpClient({ baseUrl: 'http://localhost:8080', apiKey: process.env.RSVP_API_KEY });
 * const { data, error } = await rsvp.POST('/v1/organizations/{org_id}/invitations', {
 *   params: { path: { org_id: 'acme' } },
 *   body: { email: 'ada@example.com', role: 'member' },
 * });
 */
import createClient, { type Client, type ClientOptions, type MaybeOptionalInit } from 'openapi-fetch';
import type { components, paths } from './schema.ts';

export {
  type SubscribableEventType,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookHeaders,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from './webhooks.ts';
export type { components, paths };

type Schemas = components['schemas'];
/** An invitation as reads and lists return it. */
export type Invitation = Schemas['Invitation'];
/** What create and resend return: the invitation, plus `accept_url` when `send_email` was false. */
export type InvitationCreated = Schemas['InvitationCreated'];
/** The body of `createInvitation`, as a client sends it (defaults may be left out). */
export type InvitationCreate = Schemas['InvitationCreateInput'];
/** A combined invitation's resource grant (`grants` on create; each given with the role on accept). */
export type InvitationGrant = Schemas['InvitationGrant'];
/** What bulk revoke and bulk resend answer: one result per invitation. */
export type InvitationBulkResult = Schemas['InvitationBulkResult'];
/** The list's filters as bulk revoke and resend take them. */
export type InvitationFilter = Schemas['InvitationFilterInput'];
export type Organization = Schemas['Organization'];
export type Member = Schemas['Member'];
export type Resource = Schemas['Resource'];
export type ApiKey = Schemas['ApiKey'];
export type Event = Schemas['Event'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
/** A multi-use join link; `JoinLinkWithToken` (create, rotate) carries its secret, shown once. */
export type JoinLink = Schemas['JoinLink'];
export type JoinLinkWithToken = Schemas['JoinLinkWithToken'];
/** A use of a join link or a verified domain: joined at once, or a request in the approval queue. */
export type JoinRequest = Schemas['JoinRequest'];
export type JoinResult = Schemas['JoinResult'];
export type Domain = Schemas['Domain'];
export type SuggestedOrganization = Schemas['SuggestedOrganization'];
/** An RFC 9457 problem, as every native-API error is sent. */
export type Problem = Schemas['Problem'];
/** Every `code` the API can answer with; a server newer than this SDK may add some. */
export type ErrorCode = Problem['code'];

/** A failed call, thrown by `unwrap` and the paginators; `code` narrows with a switch. */
export class RsvpError extends Error {
  readonly status: number;
  /** Undefined only when the answer was not a problem (e.g. a proxy's HTML error page). */
  readonly code: ErrorCode | undefined;
  readonly problem: Problem | undefined;
  readonly response: Response;
  constructor(response: Response, body: unknown) {
    const problem = isProblem(body) ? body : undefined;
    super(
      problem
        ? `${response.status} ${problem.code}: ${problem.detail ?? problem.title}`
        : `HTTP ${response.status}`,
    );
    this.name = 'RsvpError';
    this.status = response.status;
    this.code = problem?.code;
    this.problem = problem;
    this.response = response;
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string';
}

/** The data of a call, or an RsvpError thrown with its problem. */
export async function unwrap<T>(
  call:
    | Promise<{ data?: T; error?: unknown; response: Response }>
    | { data?: T; error?: unknown; response: Response },
): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new RsvpError(response, error);
  return data as T;
}

type Get<P> = P extends { get: infer G } ? G : never;
type ListQuery<P> = Get<P> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
/** Paths whose GET takes a `page_token`: the cursor-paginated lists. */
export type ListPath = {
  [P in keyof paths]: [ListQuery<paths[P]>] extends [never]
    ? never
    : 'page_token' extends keyof ListQuery<paths[P]>
      ? P
      : never;
}[keyof paths];
/** One page of a list, e.g. `{ invitations: Invitation[]; next_page_token: string | null }`. */
export type ListPage<P extends ListPath> =
  Get<paths[P]> extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;
/** The items of a list: the page's one array field. */
export type ListItem<P extends ListPath> = {
  [K in keyof ListPage<P>]-?: ListPage<P>[K] extends readonly (infer I)[] ? I : never;
}[keyof ListPage<P>];
export type ListInit<P extends ListPath> = MaybeOptionalInit<paths[P], 'get'>;

export interface RsvpClientOptions extends ClientOptions {
  /** An API key (`rsvp_sk_…`) or an access token from /oauth/token. */
  apiKey?: string | undefined;
}

export type RsvpClient = Client<paths> & {
  /**
   * Every page of a list, following `next_page_token` until the last; the filters and
   * page_size stay those of `init` (an `offset` or `before` in it places the first page only).
   * Throws RsvpError when a page fails.
   */
  pages<P extends ListPath>(path: P, init?: ListInit<P>): AsyncGenerator<ListPage<P>, void, undefined>;
  /** Every item of every page of a list, in the list's order. Throws RsvpError when a page fails. */
  paginate<P extends ListPath>(path: P, init?: ListInit<P>): AsyncGenerator<ListItem<P>, void, undefined>;
};

type LooseInit = { params?: { query?: Record<string, unknown> } & Record<string, unknown> } & Record<
  string,
  unknown
>;
type LooseGet = (
  path: string,
  init: LooseInit,
) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

export function createRsvpClient({ apiKey, headers, ...options }: RsvpClientOptions): RsvpClient {
  const client = createClient<paths>({
    ...options,
    headers: {
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      ...(headers as Record<string, string>),
    },
  });
  const get = client.GET as unknown as LooseGet;

  async function* pages(path: string, init: LooseInit = {}) {
    let token = init.params?.query?.page_token as string | undefined;
    let first = true;
    do {
      // After the first page the token says where to go on: an offset or `before` no longer applies.
      const { offset: _offset, before: _before, ...filters } = init.params?.query ?? {};
      const query = first
        ? { ...init.params?.query }
        : { ...filters, ...(token ? { page_token: token } : {}) };
      first = false;
      const { data, error, response } = await get(path, { ...init, params: { ...init.params, query } });
      if (error !== undefined || !response.ok || typeof data !== 'object' || data === null) {
        throw new RsvpError(response, error);
      }
      yield data as Record<string, unknown>;
      token = ((data as { next_page_token?: string | null }).next_page_token ?? undefined) || undefined;
    } while (token);
  }

  async function* paginate(path: string, init?: LooseInit) {
    for await (const page of pages(path, init)) {
      const items = Object.values(page).find(Array.isArray) as unknown[] | undefined;
      if (items) yield* items;
    }
  }

  return Object.assign(client, { pages, paginate }) as RsvpClient;
}
