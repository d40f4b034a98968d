import type { FastifyInstance } from 'fastify';
import { AppError } from '../lib/errors.ts';

const invalid = (detail: string) =>
  new AppError(400, 'malformed_multipart', 'Malformed multipart body', detail);

/**
 * Parses `multipart/form-data` bodies of plain text fields into an object (files are refused:
 * no route here takes one). The body is already bounded by the app's body limit.
 */
export function parseMultipartFields(body: Buffer, contentType: string): Record<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw invalid('The Content-Type has no boundary.');
  const text = body.toString('utf8');
  const parts = text.split(`--${marker}`);
  if (parts.length < 2 || !parts.at(-1)!.startsWith('--'))
    throw invalid('The body does not end with its boundary.');
  const fields: Record<string, string> = {};
  for (const part of parts.slice(1, -1)) {
    const separator = part.indexOf('\r\n\r\n');
    if (separator < 0) throw invalid('A part has no headers.');
    const headers = part.slice(0, separator);
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers);
    const name = disposition && /\bname="([^"]*)"/i.exec(disposition[1]!);
    if (!name) throw invalid('A part has no field name.');
    if (/\bfilename=/i.test(disposition![1]!)) throw invalid('Files are not accepted here.');
    fields[name[1]!] = part.slice(separator + 4).replace(/\r\n$/, '');
  }
  return fields;
}

export function registerMultipartFields(app: FastifyInstance) {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseMultipartFields(body as Buffer, request.headers['content-type'] ?? ''));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
