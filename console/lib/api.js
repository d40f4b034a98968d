// The console's only way to the server: the project's SDK over the public native API, signed in
// with the browser session (cookie) and echoing the CSRF token on every call.
import { createRsvpClient, RsvpError, unwrap } from '@rsvp/sdk';

let client = createRsvpClient({ baseUrl: location.origin });

/** Reads this browser's session; from then on every call carries its CSRF token. */
export async function loadSession() {
  const session = await unwrap(client.GET('/v1/session'));
  client = createRsvpClient({ baseUrl: location.origin, headers: { 'x-csrf-token': session.csrf_token } });
  return session;
}

const call = (method) => (path, params, body) =>
  unwrap(client[method](path, { params: params ?? {}, ...(body !== undefined ? { body } : {}) }));

export const api = {
  get: call('GET'),
  post: call('POST'),
  patch: call('PATCH'),
  put: call('PUT'),
  del: call('DELETE'),
};

export { RsvpError };
