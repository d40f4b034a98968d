import { readdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The languages rsvp speaks: one JSON file per locale in this folder (`de.json`), holding the
 * email and the invitee-page strings. Adding a language is adding a file; the list of supported
 * locales is whatever files are here. Each file is checked at load: every string present, and
 * no placeholder a string cannot be given (a typo like `{invitr}` stops the start, not an email).
 */

/** A string with `{name}` placeholders, of which only `names` are allowed. */
function message(...names: string[]) {
  return z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      for (const [, name] of value.matchAll(/\{([^{}]*)\}/g)) {
        if (!names.includes(name!)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown placeholder {${name}}; allowed: ${names.map((n) => `{${n}}`).join(' ') || 'none'}`,
          });
        }
      }
    });
}

const text = message();

const LocaleSchema = z.strictObject({
  /** The language's name in itself, for pickers. */
  language: text,
  email: z.strictObject({
    greeting: text,
    invitation: z.strictObject({
      subjectOrganization: message('inviter', 'org'),
      subjectResource: message('inviter', 'org', 'resource'),
      reminderPrefix: text,
      introOrganization: message('inviter', 'org', 'role'),
      introResource: message('inviter', 'org', 'resource', 'actions'),
      withGrants: text,
      grant: message('resource', 'actions'),
      wrote: message('inviter'),
      button: text,
      expires: message('date'),
      reminder: text,
      ignore: text,
      copyLink: text,
    }),
    added: z.strictObject({
      subject: message('inviter', 'org'),
      intro: message('inviter', 'org', 'role'),
      button: text,
    }),
    /** Before the subject of a test send of an organization's template. */
    testPrefix: text,
    /** Telling someone who asked to join (through a link or a domain) what an admin decided. */
    joinDecision: z.strictObject({
      subjectApproved: message('org'),
      subjectRejected: message('org'),
      approved: message('org'),
      approvedWithRole: message('org', 'role'),
      rejected: message('org'),
      reason: text,
    }),
    /** The link that confirms an address and creates the account (sign-up). */
    signUp: z.strictObject({
      subject: text,
      intro: text,
      button: text,
      expires: message('date'),
      ignore: text,
    }),
  }),
  page: z.strictObject({
    invitedTitle: text,
    invitedToJoin: message('inviter'),
    invitedToResource: message('inviter', 'type'),
    inOrganization: text,
    permissions: text,
    role: text,
    expires: text,
    wrote: message('inviter'),
    yourAnswer: text,
    signedInAs: message('email'),
    accept: text,
    decline: text,
    otherAddressTitle: text,
    otherAddress: message('signedIn', 'invited'),
    switchAccount: text,
    signInTitle: text,
    signInHint: message('masked'),
    email: text,
    password: text,
    signIn: text,
    signUpTitle: text,
    signUpHint: message('masked'),
    yourName: text,
    choosePassword: text,
    createAccount: text,
    expiredTitle: text,
    expired: message('org', 'date', 'inviter'),
    withdrawnTitle: text,
    withdrawn: message('org'),
    usedTitle: text,
    used: message('org'),
    declinedTitle: text,
    declined: message('inviter'),
    /** A page form refused: a field missing or over its bound; no CSRF token or another origin. */
    formInvalidTitle: text,
    formInvalid: text,
    formExpiredTitle: text,
    formExpired: text,
    backToInvitation: text,
    /** A page request that failed where the page could not answer itself (an outage, a bad body). */
    failedTitle: text,
    failed: text,
    back: text,
  }),
  /** The join-link page (`/join?token=…`); its sign-in labels are the `page` ones. */
  join: z.strictObject({
    title: text,
    offerOrganization: message('org', 'role'),
    offerResource: message('org', 'type', 'resource', 'actions'),
    approval: message('org'),
    noApproval: text,
    allowedDomain: message('domain'),
    until: message('date'),
    join: text,
    askToJoin: text,
    signInTitle: text,
    signInHint: text,
    noAccountTitle: text,
    noAccount: message('org'),
    sendLink: text,
    signInFailed: text,
    tooManySignIns: message('minutes'),
    joinedTitle: text,
    joined: message('org'),
    joinedResource: message('org', 'resource'),
    requestSentTitle: text,
    requestSent: message('org'),
    refusedTitle: text,
    domainMismatch: message('domain', 'email'),
    alreadyMember: message('org'),
    alreadyHasAccess: text,
    requestPending: message('org'),
    noSeat: message('org'),
    tooManyJoins: message('minutes'),
    invalidTitle: text,
    invalid: text,
    deadTitle: text,
    exhausted: text,
    expired: text,
    revoked: text,
    formExpiredTitle: text,
    formExpired: text,
    formInvalidTitle: text,
    formInvalid: text,
    backToJoin: text,
  }),
  /** The sign-up pages (`/sign-up`): an address, then the mailed link's password form. */
  signUp: z.strictObject({
    title: text,
    emailHint: text,
    sendLink: text,
    sentTitle: text,
    sent: message('email'),
    chooseTitle: text,
    chooseHint: message('email'),
    invalidTitle: text,
    invalid: text,
    usedTitle: text,
    used: text,
    expiredTitle: text,
    expired: text,
    exists: text,
    tooShort: text,
    tooMany: message('minutes'),
    badEmail: text,
    createdTitle: text,
    created: message('email'),
    badName: text,
    backToJoin: text,
    signInInstead: text,
    /** After a sign-up that a verified domain's auto_join made a member of organizations. */
    memberOf: message('orgs'),
    /** The link of an address that has an account: a new password for it. */
    resetTitle: text,
    resetHint: message('email'),
    /** The link of an address whose account was made unproven: the mailbox's owner takes it over. */
    claimTitle: text,
    claimHint: message('email'),
    setPassword: text,
    passwordSetTitle: text,
    passwordSet: message('email'),
    memberOfReview: message('orgs'),
    deactivatedTitle: text,
    deactivated: text,
    formInvalid: text,
    startAgain: text,
    /** After the first organizations of a longer list. */
    andMore: text,
  }),
});

export type LocaleStrings = z.infer<typeof LocaleSchema>;

/** A locale file's name: a lower-case ISO 639 language code. */
const LOCALE_FILE = /^([a-z]{2,3})\.json$/;

function load(dir: URL): Record<string, LocaleStrings> {
  const locales: Record<string, LocaleStrings> = {};
  for (const file of readdirSync(dir).sort()) {
    const code = LOCALE_FILE.exec(file)?.[1];
    if (!code) continue;
    const parsed = LocaleSchema.safeParse(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      throw new Error(`locale file src/locales/${file} is not valid: ${problems.join('; ')}`);
    }
    locales[code] = parsed.data;
  }
  if (!locales.en) throw new Error('locale file src/locales/en.json is missing: English is the fallback');
  return locales;
}

// By way of the repository root, so the path holds from this file and from the bundle `npm start`
// runs (`dist/server/`, as deep as `src/locales/`: scripts/build.ts).
export const LOCALES: Readonly<Record<string, LocaleStrings>> = load(
  new URL('../../src/locales/', import.meta.url),
);

/** The supported locales, `en` first (the fallback), then the others in name order. */
export const SUPPORTED_LOCALES: readonly [string, ...string[]] = [
  'en',
  ...Object.keys(LOCALES).filter((code) => code !== 'en'),
];

/** The best supported locale for BCP 47 tags, first match wins: a tag's language, else English. */
export function bestLocale(...tags: (string | null | undefined)[]): string {
  for (const tag of tags) {
    const language = tag?.split('-')[0]?.toLowerCase();
    if (language && Object.hasOwn(LOCALES, language)) return language;
  }
  return 'en';
}

/** `{name}` placeholders replaced by `values` in one pass (a value's own braces stay as they are). */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^{}]*)\}/g, (whole, name: string) => values[name] ?? whole);
}
