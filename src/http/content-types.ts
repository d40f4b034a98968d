import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { AppError } from '../lib/errors.ts';

/** A request body that was read in full and refused; the error is raised before validation. */
export class RejectedBody {
  readonly error: AppError;
  constructor(error: AppError) {
    this.error = error;
  }
}

const malformed = (detail: string) => new AppError(400, 'malformed_json', 'Malformed JSON', detail);

/**
 * No text rsvp keeps may hold a NUL character: PostgreSQL refuses it (SQLite would keep it), and
 * no name, message or id needs one. Refused with the body, the same on both engines.
 */
export const nulRefused = () =>
  new AppError(
    400,
    'invalid_text',
    'Invalid text',
    'A value in the request holds a NUL character, which no text field, id or credential may hold.',
  );

/** A path or query with an encoded NUL (`%00`): refused before any route reads it, on every engine. */
export const urlHoldsNul = (url: string) => url.includes('%00');

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).some(([key, inner]) => key.includes('\0') || holdsNul(inner));
  return false;
}

/**
 * One content-type policy for every surface. JSON (and `+json` types) and form encoding are
 * parsed; an empty body is accepted whatever its Content-Type says, because real clients send
 * JSON-typed DELETEs and form-typed POSTs with nothing in them; any other non-empty body is 415.
 */
export function registerContentTypes(app: FastifyInstance) {
  app.removeAllContentTypeParsers();
  // A body that was read whole but is unacceptable is handed on as a RejectedBody and refused
  // before validation: an error from a parser itself makes Fastify close the connection
  // (`Connection: close`), which would make every bad request cost a new TCP connection.
  app.addHook('preValidation', async (request) => {
    if (request.body instanceof RejectedBody) throw request.body.error;
  });
  app.addContentTypeParser(
    /^application\/(?:[\w.-]+\+)?json$/,
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = String(body).trim();
      if (text === '') return done(null, undefined);
      try {
        const parsed = secureJson.parse(text, undefined, {
          protoAction: 'error',
          constructorAction: 'error',
        });
        // Only a body that spells the escape can hold one: the walk runs for those alone.
        done(null, text.includes('u0000') && holdsNul(parsed) ? new RejectedBody(nulRefused()) : parsed);
      } catch (error) {
        done(
          null,
          new RejectedBody(
            malformed(error instanceof SyntaxError ? error.message : 'The body is not acceptable JSON.'),
          ),
        );
      }
    },
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      if (body === '') return done(null, undefined);
      const fields = Object.fromEntries(new URLSearchParams(body as string));
      done(null, holdsNul(fields) ? new RejectedBody(nulRefused()) : fields);
    },
  );
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    const type = request.headers['content-type'] ?? 'none';
    done(
      null,
      new RejectedBody(
        new AppError(
          415,
          'unsupported_media_type',
          'Unsupported media type',
          `Send application/json, not ${type}.`,
          {
            headers: { 'accept-post': 'application/json', 'accept-patch': 'application/json' },
          },
        ),
      ),
    );
  });
}
