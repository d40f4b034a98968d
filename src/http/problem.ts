import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable, isUnstorableText } from '../db/database.ts';
import { AppError, type FieldError, serviceUnavailable, ValidationError } from '../lib/errors.ts';
import { nulRefused } from './content-types.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  request_id: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function problemBody(error: AppError, requestId: string, instance?: string): Problem {
  const { errors: extraErrors, ...extras } = error.extras as { errors?: FieldError[] };
  const errors = error instanceof ValidationError ? error.errors : extraErrors;
  return {
    ...extras,
    type: `/problems/${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    code: error.code,
    request_id: requestId,
    ...(errors ? { errors } : {}),
  };
}

/** JSON pointer from a path of keys: `['body', 'invitations', 3, 'email']` → `/body/invitations/3/email`. */
interface ValidationItem {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: { keys?: string[] };
}

function fieldErrors(error: FastifyError): FieldError[] {
  const context = (error as { validationContext?: string }).validationContext ?? 'body';
  const out: FieldError[] = [];
  for (const item of (error.validation ?? []) as ValidationItem[]) {
    const path = (item.instancePath ?? '').replace(/^\/$/, '');
    if (item.keyword === 'unrecognized_keys' && item.params?.keys) {
      for (const key of item.params.keys)
        out.push({ pointer: `/${context}${path}/${key}`, detail: 'unknown field' });
      continue;
    }
    out.push({ pointer: `/${context}${path}`, detail: item.message ?? 'invalid' });
  }
  return out;
}

/** Fastify's own errors, by code, as stable problem codes. Never a 500 for bad input. */
const FRAMEWORK_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Unsupported media type'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'Body too large'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length', 'Invalid Content-Length'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed_json', 'Malformed JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_json', 'Malformed JSON'],
  FST_ERR_BAD_URL: [400, 'bad_url', 'Bad URL'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request', 'Bad request'],
};

/** Maps anything thrown while serving a native-API request to an AppError. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fastifyError)) {
    return new ValidationError(fieldErrors(fastifyError));
  }
  const known = fastifyError.code ? FRAMEWORK_ERRORS[fastifyError.code] : undefined;
  if (known) return new AppError(known[0], known[1], known[2], fastifyError.message);
  if (isDatabaseUnavailable(error)) return serviceUnavailable();
  if (isUnstorableText(error)) return nulRefused();
  if (!isResponseSerializationError(fastifyError)) {
    const status = fastifyError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new AppError(status, 'bad_request', 'Bad request', fastifyError.message);
    }
  }
  return new AppError(
    500,
    'internal_error',
    'Internal server error',
    'Something went wrong on our side; it was logged.',
  );
}

/**
 * 5xx answers are logged; an outage of a backing service as one short warning per request
 * (it answers 503 to every request while it lasts), anything else with its stack.
 */
export function logFailure(request: FastifyRequest, problem: AppError, error: unknown) {
  if (problem.status === 503 && problem.code === 'service_unavailable') {
    const { message, code } = error as { message?: string; code?: unknown };
    request.log.warn({ cause: message, code }, 'backing service unavailable');
  } else if (problem.status >= 500) {
    request.log.error({ err: error }, 'request failed');
  }
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemBody(error, request.id, request.url.split('?')[0])));
}
