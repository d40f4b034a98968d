/**
 * A failure a caller can act on. Services throw these; each API surface maps them, in one
 * place, to its own wire format (problem+json for the native API). `code` is API contract:
 * stable, snake_case, never reused for a different meaning.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly extras: Record<string, unknown>;
  readonly headers: Record<string, string | string[]>;
  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    options: { extras?: Record<string, unknown>; headers?: Record<string, string | string[]> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.extras = options.extras ?? {};
    this.headers = options.headers ?? {};
  }
}

export interface FieldError {
  /** JSON pointer into the request, e.g. `/body/invitations/3/email`. */
  pointer: string;
  detail: string;
}

export class ValidationError extends AppError {
  readonly errors: FieldError[];
  constructor(errors: FieldError[], detail = 'The request is not valid.') {
    super(400, 'validation_failed', 'Validation failed', detail);
    this.errors = errors;
  }
}

export const notFound = (what: string) =>
  new AppError(404, `${what.replaceAll(' ', '_')}_not_found`, 'Not found', `The ${what} does not exist.`);

/** Seconds a client should wait before retrying while a backing service is down. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** 503 with Retry-After: a backing service (database, Redis) is down; safe to retry (with the same Idempotency-Key). */
export const serviceUnavailable = (detail = 'A service this request needs is unavailable; retry shortly.') =>
  new AppError(503, 'service_unavailable', 'Service unavailable', detail, {
    headers: { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
  });
