import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { ProblemSchema } from './problem.schema.ts';

export type App = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed or invalid request (problem+json with `errors[]` pointers).',
  401: 'No or bad credentials.',
  402: 'A seat or pending-invitation limit would be exceeded.',
  403: 'Authenticated, but not allowed.',
  404: 'Not found, or not visible to you.',
  409: 'Conflicts with the current state.',
  410: 'Gone for good (expired or revoked).',
  412: 'If-Match did not match the current ETag.',
  413: 'Body too large.',
  415: 'Unsupported Content-Type.',
  422: 'Understood but not acceptable.',
  429: 'Too many requests.',
};

/** Problem responses for the OpenAPI document; every route lists the ones it can answer. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, ProblemSchema.describe(DESCRIPTIONS[status] ?? 'Problem')]),
  ) as Record<number, typeof ProblemSchema>;
}

/** Problems any authenticated JSON route can answer. */
export const COMMON = [400, 401, 403, 404] as const;

/**
 * A request body that may be left out. Fastify validates an absent body as null (never
 * undefined), so "optional" must accept null; use this for every such route.
 */
export function optionalBody<T extends z.ZodType>(schema: T) {
  return schema.nullish();
}
