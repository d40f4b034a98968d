import { z } from 'zod';
import { ERROR_CODES } from './error-codes.ts';

/** The problem+json body (RFC 9457) every error answers with, as the OpenAPI document shows it. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    // Validated as any string so that a code missing from the generated list can never turn a
    // problem into a 500; the list is documented as the enum the SDK types errors with.
    code: z
      .string()
      .meta({ enum: [...ERROR_CODES] })
      .describe('Stable machine-readable reason.'),
    request_id: z.string(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem' });
