import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import { sha256 } from '../lib/secrets.ts';

export const PageSize = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(50)
  .describe('At most 100; 50 by default.');
export const PageToken = z.string().max(1000).optional().describe('`next_page_token` of the previous page.');

interface TokenBody {
  /** Values of the sort key of the last row served (the first one, for a `before` token). */
  after: (string | number)[];
  /** Hash of the filters and order the token was issued for. */
  scope: string;
  /** Set on a token for the previous page: rows before `after`, not after it. */
  before?: true;
}

/**
 * Cursor tokens are opaque to clients and bound to the query that issued them, so a token
 * replayed with other filters is refused instead of silently skipping or repeating rows.
 */
export function encodePageToken(
  after: (string | number)[],
  query: unknown,
  direction: 'after' | 'before' = 'after',
): string {
  const body: TokenBody = { after, scope: sha256(JSON.stringify(query)).slice(0, 16) };
  if (direction === 'before') body.before = true;
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/**
 * The sort key a token carries. A `next_page_token` goes in `page_token`, a `prev_page_token`
 * in `before` (`direction`); each in the other's place is refused, naming the parameter.
 */
export function decodePageToken(
  token: string | undefined,
  query: unknown,
  direction: 'after' | 'before' = 'after',
): (string | number)[] | undefined {
  if (token === undefined || token === '') return undefined;
  const parameter = direction === 'after' ? 'page_token' : 'before';
  try {
    const body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as TokenBody;
    if (!Array.isArray(body.after) || typeof body.scope !== 'string') throw new Error('shape');
    if ((body.before === true) !== (direction === 'before')) {
      throw new AppError(
        400,
        'invalid_page_token',
        'Invalid page token',
        direction === 'after'
          ? 'This is a prev_page_token: pass it as `before`.'
          : 'This is a next_page_token: pass it as `page_token`.',
        {
          extras: { errors: [{ pointer: `/query/${parameter}`, detail: 'a token for the other direction' }] },
        },
      );
    }
    if (body.scope !== sha256(JSON.stringify(query)).slice(0, 16)) {
      throw new AppError(
        400,
        'page_token_mismatch',
        'Page token does not match the query',
        'The page token was issued for other filters or another order; start again without it.',
        { extras: { errors: [{ pointer: `/query/${parameter}`, detail: 'issued for another query' }] } },
      );
    }
    return body.after;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw invalidPageToken(parameter);
  }
}

/** A token that decodes but whose sort key cannot be one rsvp issued (it was edited). */
export function invalidPageToken(parameter: 'page_token' | 'before' = 'page_token'): AppError {
  return new AppError(
    400,
    'invalid_page_token',
    'Invalid page token',
    'The page token is not one rsvp issued.',
    {
      extras: { errors: [{ pointer: `/query/${parameter}`, detail: 'not a page token' }] },
    },
  );
}

/**
 * Cuts a page from rows fetched with one extra (`limit = pageSize + 1`): the extra row only
 * says there is more, and the last row served gives the next token.
 */
export function pageOf<T>(
  rows: T[],
  pageSize: number,
  keyOf: (row: T) => string,
  query: unknown,
): { items: T[]; next_page_token: string | null } {
  const items = rows.slice(0, pageSize);
  const next = rows.length > items.length ? encodePageToken([keyOf(items.at(-1)!)], query) : null;
  return { items, next_page_token: next };
}

/** Refuses (400) a query that gives more than one of `page_token`, `before` and `offset`. */
export function requireOnePagePosition(query: { page_token?: string; before?: string; offset?: number }) {
  const given = [query.page_token, query.before, query.offset].filter(
    (value) => value !== undefined && value !== '',
  );
  if (given.length > 1) {
    throw new AppError(
      400,
      'conflicting_page_position',
      'Conflicting page position',
      'Give at most one of page_token, before and offset.',
      {
        extras: {
          errors: [{ pointer: '/query', detail: 'page_token, before and offset exclude each other' }],
        },
      },
    );
  }
}
