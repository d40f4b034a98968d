import { printableEmail } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';

export const invalidEmail = (email: string, why: string) =>
  new AppError(
    422,
    'invalid_email',
    'Invalid email address',
    `"${printableEmail(email)}" is not a deliverable address: ${why}.`,
    {
      extras: { errors: [{ pointer: '/email', detail: why }] },
    },
  );
