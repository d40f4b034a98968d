import { randomBytes } from 'node:crypto';
import type { RawRequestDefaultExpression } from 'fastify';
import findMyWay from 'find-my-way';
import { AppError } from '../lib/errors.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Remembers every route so a request with a known path but the wrong method can be told which
 * methods the path has (405 with `Allow`) instead of a misleading 404.
 */
export class AllowedMethods {
  readonly #router = findMyWay({ maxParamLength: 200 });

  add(methods: string | string[], url: string) {
    for (const method of Array.isArray(methods) ? methods : [methods]) {
      if ((METHODS as readonly string[]).includes(method) && !this.#router.hasRoute(method as 'GET', url)) {
        this.#router.on(method as 'GET', url, () => {});
      }
    }
  }

  for(path: string): string[] {
    return METHODS.filter((method) => this.#router.find(method, path) !== null);
  }

  /** What a request no route answered gets: 405 with `Allow` when the path exists, else 404. */
  noRoute(method: string, url: string): AppError {
    const path = url.split('?')[0]!;
    const methods = this.for(path);
    // A route that answers this method but found nothing (a wildcard's missing file) is a 404.
    if (methods.length > 0 && !methods.includes(method as (typeof METHODS)[number])) {
      return new AppError(
        405,
        'method_not_allowed',
        'Method not allowed',
        `${path} answers ${methods.join(', ')}.`,
        {
          headers: { allow: methods.join(', ') },
          extras: { allowed_methods: methods },
        },
      );
    }
    return new AppError(404, 'route_not_found', 'Not found', `No route ${method} ${path}.`);
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ID_BYTES = 12;
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let offset = 0;

/** 96 random bits, drawn from a pool refilled every 256 ids (one call per request cost ~3 %). */
function randomId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * POOL_IDS);
    offset = 0;
  }
  offset += ID_BYTES;
  return pool.toString('hex', offset - ID_BYTES, offset);
}

/** A sane inbound `X-Request-Id` is kept, so a trace spans the caller and rsvp; otherwise a new one. */
export function requestIdFor(request: RawRequestDefaultExpression): string {
  const inbound = request.headers['x-request-id'];
  return typeof inbound === 'string' && REQUEST_ID.test(inbound) ? inbound : `req_${randomId()}`;
}
