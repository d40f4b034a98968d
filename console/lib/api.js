// The console's only way to the server: the project's SDK over the public native API, signed in
// with the browser session (cookie) and echoing the CSRF token on every call.
import { createRsvpClient, RsvpError, unwrap } from '@rsvp/sdk';

let client = createRsvpClient({ baseUrl: location.origin });
let onSessionEnded = () => {};

/** Reads this browser's session; from then on every call carries its CSRF token. */
export async function loadSession() {
  const session = await unwrap(client.GET('/v1/session'));
  client = createRsvpClient({ baseUrl: location.origin, headers: { 'x-csrf-token': session.csrf_token } });
  return session;
}

/** What to do when the server says the session is over (expired, signed out elsewhere). */
export function whenSessionEnds(handler) {
  onSessionEnded = handler;
}

async function guarded(path, run) {
  try {
    return await run();
  } catch (error) {
    // A 401 to signing in is a wrong password; to anything else, the session has ended.
    if (error instanceof RsvpError && error.status === 401 && path !== '/v1/session') onSessionEnded();
    throw error;
  }
}

const call = (method) => (path, params, body) =>
  guarded(path, () =>
    unwrap(client[method](path, { params: params ?? {}, ...(body !== undefined ? { body } : {}) })),
  );

export const api = {
  get: call('GET'),
  post: call('POST'),
  patch: call('PATCH'),
  put: call('PUT'),
  del: call('DELETE'),
};

/**
 * Every item of a paged list, following `next_page_token` (100 a page) up to `limit` items: for
 * the lists a screen shows whole (members to pick from, resources, keys) however long they get.
 */
export async function getAll(path, params, field, limit = 10_000) {
  let page = await api.get(path, { ...params, query: { ...params.query, page_size: 100 } });
  const items = [...page[field]];
  while (page.next_page_token && items.length < limit) {
    page = await api.get(path, {
      ...params,
      query: { ...params.query, page_size: 100, page_token: page.next_page_token },
    });
    items.push(...page[field]);
  }
  return { ...page, [field]: items, next_page_token: undefined };
}

/** A read with its ETag, for a later change sent with `If-Match` (412 when someone changed it since). */
export function readWithEtag(path, params) {
  return guarded(path, async () => {
    const result = await client.GET(path, { params: params ?? {} });
    return { data: await unwrap(result), etag: result.response.headers.get('etag') };
  });
}

export { RsvpError };
