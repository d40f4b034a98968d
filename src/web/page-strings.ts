import type { EmailLocale } from '../delivery/email-templates.ts';
import { fill, LOCALES, type LocaleStrings } from '../locales/locales.ts';

/**
 * What the invitee pages say about an invitation, per locale (the invitation's, else the
 * organization's, as for emails). Values are plain text: the page template escapes them. The
 * words are in src/locales/<locale>.json.
 */
export interface PageStrings {
  invitedTitle: string;
  invitedToJoin(inviter: string): string;
  invitedToResource(inviter: string, type: string): string;
  inOrganization: string;
  permissions: string;
  role: string;
  expires: string;
  wrote(inviter: string): string;
  yourAnswer: string;
  signedInAs(email: string): string;
  accept: string;
  decline: string;
  otherAddressTitle: string;
  otherAddress(signedIn: string, invited: string): string;
  switchAccount: string;
  signInTitle: string;
  signInHint(masked: string): string;
  email: string;
  password: string;
  signIn: string;
  signUpTitle: string;
  signUpHint(masked: string): string;
  yourName: string;
  choosePassword: string;
  createAccount: string;
  expiredTitle: string;
  expired(org: string, date: string, inviter: string): string;
  withdrawnTitle: string;
  withdrawn(org: string): string;
  usedTitle: string;
  used(org: string): string;
  declinedTitle: string;
  declined(inviter: string): string;
  formInvalidTitle: string;
  formInvalid: string;
  formExpiredTitle: string;
  formExpired: string;
  backToInvitation: string;
  failedTitle: string;
  failed: string;
  back: string;
}

function pageStrings(p: LocaleStrings['page']): PageStrings {
  return {
    ...p,
    invitedToJoin: (inviter) => fill(p.invitedToJoin, { inviter }),
    invitedToResource: (inviter, type) => fill(p.invitedToResource, { inviter, type }),
    wrote: (inviter) => fill(p.wrote, { inviter }),
    signedInAs: (email) => fill(p.signedInAs, { email }),
    otherAddress: (signedIn, invited) => fill(p.otherAddress, { signedIn, invited }),
    signInHint: (masked) => fill(p.signInHint, { masked }),
    signUpHint: (masked) => fill(p.signUpHint, { masked }),
    expired: (org, date, inviter) => fill(p.expired, { org, date, inviter }),
    withdrawn: (org) => fill(p.withdrawn, { org }),
    used: (org) => fill(p.used, { org }),
    declined: (inviter) => fill(p.declined, { inviter }),
  };
}

/** Per supported locale (src/locales/), the page strings with their placeholders filled by functions. */
export const PAGE_STRINGS: Readonly<Record<EmailLocale, PageStrings>> = Object.fromEntries(
  Object.entries(LOCALES).map(([code, strings]) => [code, pageStrings(strings.page)]),
);
