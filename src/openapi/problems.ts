/**
 * What the OpenAPI document says about the behaviour every route shares, added in one place
 * because the server adds it in one place: problem+json errors (the error handler), 429 and the
 * RateLimit headers (the auth and sign-in throttles), 503 (any backing-service outage),
 * Idempotency-Key (the idempotency hook) and X-Request-Id (the request-id hook).
 */

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const PROBLEM_REF = '#/components/schemas/Problem';

type Json = Record<string, unknown>;

/** A problem body as the server writes it, for the examples. */
function problem(status: number, code: string, title: string, detail: string, extra: Json = {}): Json {
  return {
    type: `/problems/${code}`,
    title,
    status,
    detail,
    code,
    request_id: 'req_01JQ8Z6V7C4T2N9W3X5Y8K1M0P',
    ...extra,
  };
}

/** One example per status: the most common reason the API answers it. */
const EXAMPLES: Record<number, Json> = {
  400: problem(400, 'validation_failed', 'Validation failed', 'The request has invalid fields.', {
    errors: [{ pointer: '/body/email', detail: 'Invalid email address' }],
  }),
  401: problem(
    401,
    'unauthenticated',
    'Unauthenticated',
    'Send an API key, Basic credentials or a bearer token.',
  ),
  402: problem(
    402,
    'seat_limit_reached',
    'Seat limit reached',
    'The organization has 25 seats, all taken or offered.',
  ),
  403: problem(
    403,
    'insufficient_scope',
    'Insufficient scope',
    'This call needs the `invitations:write` scope.',
  ),
  404: problem(
    404,
    'organization_not_found',
    'Not found',
    'No organization org_01JQ8Z5M4 is visible to you.',
  ),
  409: problem(
    409,
    'concurrent_modification',
    'Concurrent modification',
    'The record changed while this request ran; retry.',
  ),
  410: problem(410, 'invitation_expired', 'Invitation expired', 'This invitation expired on 2025-07-01.'),
  412: problem(
    412,
    'precondition_failed',
    'Precondition failed',
    'The organization changed since you read it; fetch it again and retry with its new ETag.',
    { etag: '"3f1c2a9d"' },
  ),
  413: problem(413, 'body_too_large', 'Body too large', 'Request body is too large'),
  415: problem(415, 'unsupported_media_type', 'Unsupported media type', 'Unsupported Media Type: text/plain'),
  422: problem(
    422,
    'idempotency_key_reused',
    'Idempotency-Key reused',
    'This Idempotency-Key was used with a different request; use a new key for a new request.',
  ),
  429: problem(429, 'rate_limited', 'Too many requests', 'Too many requests from your address.', {
    retry_after_seconds: 42,
    limit: 300,
  }),
  503: problem(
    503,
    'service_unavailable',
    'Service unavailable',
    'A service this request needs is unavailable; retry shortly.',
  ),
};

/** The 404 example names what the path names last. */
const NOT_FOUND_BY_PARAMETER: Record<string, [string, string]> = {
  invitation_id: ['invitation_not_found', 'No invitation inv_01JQ8Z6V7C is visible to you.'],
  key_id: ['api_key_not_found', 'No API key key_01JQ8Z6V7C is visible to you.'],
  resource_id: ['resource_not_found', 'No resource res_01JQ8Z6V7C is visible to you.'],
  endpoint_id: ['webhook_endpoint_not_found', 'No webhook endpoint whe_01JQ8Z6V7C is visible to you.'],
  user_id: ['user_not_found', 'No user usr_01JQ8Z6V7C is visible to you.'],
};

export function problemExample(status: number, path: string): Json {
  const example = EXAMPLES[status] ?? problem(status, 'bad_request', 'Bad request', 'The request failed.');
  if (status !== 404) return example;
  const last = [...path.matchAll(/\{([a-z_]+)\}/g)].at(-1)?.[1];
  const specific = last ? NOT_FOUND_BY_PARAMETER[last] : undefined;
  return specific ? problem(404, specific[0], 'Not found', specific[1]) : example;
}

const header = (description: string, schema: Json, example: unknown) => ({ description, schema, example });

/** Response and request headers the server sends or honours, referenced from the operations. */
export const HEADERS: Record<string, Json> = {
  'X-Request-Id': header(
    'Identifies this request in the server log; quote it when reporting a problem. Also `request_id` in every problem body.',
    { type: 'string' },
    'req_01JQ8Z6V7C4T2N9W3X5Y8K1M0P',
  ),
  Location: header(
    'URL path of the created resource.',
    { type: 'string' },
    '/v1/organizations/org_01JQ8Z5M4X',
  ),
  ETag: header(
    'Strong validator of the state a client can change; send it back in `If-Match`.',
    { type: 'string' },
    '"3f1c2a9d"',
  ),
  'Idempotent-Replayed': header(
    'Present (`true`) when this response is the stored answer to an earlier request with the same `Idempotency-Key`.',
    { type: 'string', enum: ['true'] },
    'true',
  ),
  'Retry-After': header('Seconds to wait before retrying.', { type: 'integer', minimum: 0 }, 42),
  'RateLimit-Limit': header('Requests allowed in the current window.', { type: 'integer', minimum: 0 }, 300),
  'RateLimit-Remaining': header('Requests left in the current window.', { type: 'integer', minimum: 0 }, 0),
  'RateLimit-Reset': header('Seconds until the window resets.', { type: 'integer', minimum: 0 }, 42),
  'RateLimit-Policy': header(
    'The limit and its window in seconds (`limit;w=seconds`).',
    { type: 'string' },
    '300;w=60',
  ),
};

const headerRefs = (...names: string[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

const RATE_LIMIT_HEADERS = [
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
];

/** On a 401 for a wrong password or key secret: the sign-in count so far (no Retry-After). */
const SIGN_IN_COUNT_HEADERS = RATE_LIMIT_HEADERS.filter((name) => name !== 'Retry-After');

const problemContent = (status: number, path = '') => ({
  [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_REF }, example: problemExample(status, path) },
});

/** Shared responses, referenced by every operation that can answer them. */
export const RESPONSES: Record<string, Json> = {
  TooManyRequests: {
    description:
      'Too many requests: from your address (unauthenticated calls), or failed sign-ins for the account you named. Wait `Retry-After` seconds.',
    headers: headerRefs('X-Request-Id', ...RATE_LIMIT_HEADERS),
    content: problemContent(429),
  },
  ServiceUnavailable: {
    description:
      'A backing service (database, Redis) is unreachable; nothing was changed. Retry after `Retry-After` seconds, with the same `Idempotency-Key`.',
    headers: headerRefs('X-Request-Id', 'Retry-After'),
    content: problemContent(503),
  },
  PayloadTooLarge: {
    description: 'The body is larger than the server accepts (2 MiB by default).',
    headers: headerRefs('X-Request-Id'),
    content: problemContent(413),
  },
  UnsupportedMediaType: {
    description: 'The body is not in a media type this operation accepts.',
    headers: headerRefs('X-Request-Id'),
    content: problemContent(415),
  },
};

export const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the first request with a key runs, later ones with the same key and body get its stored response (with `Idempotent-Replayed: true`) for 24 hours; the same key with another body answers 422. 1 to 255 visible ASCII characters, such as a UUID.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  example: '0b6f3a52-6c1e-4a57-9a0e-0f2c3e7d9b41',
};

interface Operation {
  security?: unknown[];
  parameters?: Json[];
  requestBody?: unknown;
  responses: Record<string, Json>;
  [key: string]: unknown;
}

/**
 * Adds what the server's shared hooks do to one operation. `auth` is the route's declaration;
 * `throttled` says whether unauthenticated calls to it are counted per client address.
 */
export function addSharedBehaviour(
  path: string,
  method: string,
  operation: Operation,
  auth: 'public' | string,
  throttled: boolean,
) {
  const declared = (operation['x-response-headers'] ?? {}) as Record<string, string[]>;
  delete operation['x-response-headers'];
  const requestExamples = operation['x-request-examples'] as unknown[] | undefined;
  delete operation['x-request-examples'];
  const body = operation.requestBody as {
    required?: boolean;
    content?: Record<string, { schema?: { $ref?: string }; example?: unknown }>;
  };
  if (operation['x-optional-body'] && body) body.required = false;
  delete operation['x-optional-body'];
  for (const media of Object.values(body?.content ?? {}))
    if (requestExamples && media.example === undefined) media.example = requestExamples[0];
  for (const [status, response] of Object.entries(operation.responses)) {
    const content = response.content as Record<string, { schema?: { $ref?: string } }> | undefined;
    const isProblem = Object.values(content ?? {}).some((media) => media.schema?.$ref === PROBLEM_REF);
    if (Number(status) >= 400 && isProblem) response.content = problemContent(Number(status), path);
    const headers = headerRefs('X-Request-Id');
    if (status === '201') Object.assign(headers, headerRefs('Location'));
    Object.assign(headers, headerRefs(...(declared[status] ?? [])));
    if (status === '429') Object.assign(headers, headerRefs(...RATE_LIMIT_HEADERS));
    if (status === '401') Object.assign(headers, headerRefs(...SIGN_IN_COUNT_HEADERS));
    if (status.startsWith('2') && auth !== 'public' && (method === 'post' || method === 'patch'))
      Object.assign(headers, headerRefs('Idempotent-Replayed'));
    response.headers = { ...(response.headers as Json | undefined), ...headers };
  }
  const responses = operation.responses;
  if (auth !== 'public') {
    // The auth hook answers these on every route that names a scope.
    responses['401'] ??= {
      description:
        'No or bad credentials. A wrong password or key secret counts against the sign-in limits; the RateLimit headers then say how many tries are left.',
      headers: headerRefs('X-Request-Id', ...SIGN_IN_COUNT_HEADERS),
      content: problemContent(401),
    };
    responses['403'] ??= {
      description: `The credential lacks the \`${auth}\` scope, or you may not do this.`,
      headers: headerRefs('X-Request-Id'),
      content: problemContent(403),
    };
  }
  if (auth !== 'public' || throttled) responses['429'] ??= { $ref: '#/components/responses/TooManyRequests' };
  if (operation.requestBody) {
    responses['413'] ??= { $ref: '#/components/responses/PayloadTooLarge' };
    responses['415'] ??= { $ref: '#/components/responses/UnsupportedMediaType' };
  }
  responses['503'] ??= { $ref: '#/components/responses/ServiceUnavailable' };
  if (auth !== 'public' && (method === 'post' || method === 'patch')) {
    operation.parameters = [
      ...(operation.parameters ?? []),
      { $ref: '#/components/parameters/IdempotencyKey' },
    ];
  }
  // Keep the responses in status order, as readers scan them.
  operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}
