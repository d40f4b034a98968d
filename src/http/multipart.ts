import { Busboy } from '@fastify/busboy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';

const invalid = (detail: string) =>
  new AppError(400, 'malformed_multipart', 'Malformed multipart body', detail);

/**
 * Parses `multipart/form-data` bodies of plain text fields into an object, with `@fastify/busboy`
 * (files are refused: no route here takes one). The body is buffered first, so the app's body
 * limit bounds it as it bounds JSON.
 */
export function parseMultipartFields(body: Buffer, contentType: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({ headers: { 'content-type': contentType }, limits: { fieldSize: body.length } });
    } catch {
      reject(invalid('The Content-Type has no multipart boundary.'));
      return;
    }
    const fields: Record<string, string> = {};
    let refused: AppError | undefined;
    parser.on('field', (name: string | undefined, value: string) => {
      if (name) fields[name] = value;
      else refused ??= invalid('A part has no field name.');
    });
    parser.on('file', (_name: string, stream: NodeJS.ReadableStream) => {
      refused ??= invalid('Files are not accepted here.');
      stream.resume();
    });
    parser.on('error', (error: unknown) => {
      reject(invalid(error instanceof Error ? error.message : 'The body is not valid multipart.'));
    });
    parser.on('finish', () => (refused ? reject(refused) : resolve(fields)));
    parser.end(body);
  });
}

export function registerMultipartFields(app: FastifyInstance) {
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer) =>
      parseMultipartFields(body, request.headers['content-type'] ?? ''),
  );
}
