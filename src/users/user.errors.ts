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

export const invalidDisplayName = () =>
  new AppError(
    422,
    'invalid_display_name',
    'Invalid name',
    'A name may not hold control characters, text-direction overrides or invisible characters.',
    { extras: { errors: [{ pointer: '/display_name', detail: 'holds a hidden character' }] } },
  );

export const passwordTooShort = (minimum: number) =>
  new AppError(
    422,
    'password_too_short',
    'Password too short',
    `Choose a password of ${minimum} characters or more.`,
  );
