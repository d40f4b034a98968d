import { Liquid, type LiquidError } from 'liquidjs';
import { AppError } from '../lib/errors.ts';

/**
 * Organizations write their emails in Liquid (LiquidJS; why in docs/decisions.md), with the
 * engine locked down: no file system (`include`, `render` and `layout` are refused when the
 * template is parsed, in every branch: run, they would quote the name they looked up — which a
 * template can make the accept link — in their error), only own
 * properties of the variables below (no `constructor`, no prototype), an unknown variable or
 * filter is an error rather than an empty string, and parse time, render time and memory are
 * bounded, so a loop cannot run away. In HTML every output is escaped and the `raw` filter,
 * which would skip that, is refused.
 */

export interface TemplateSource {
  subject: string;
  html: string;
  text: string;
}

/** What a template sees. User-supplied values arrive already defanged (no links). */
export interface TemplateVariables {
  kind: 'invitation' | 'reminder';
  locale: string;
  organization: { name: string };
  inviter: { name: string };
  role: string | null;
  resource: { type: string; name: string } | null;
  /** The resource actions, joined with ", ". */
  actions: string | null;
  /** A combined invitation's resources, each with its actions joined with ", "; empty for the others. */
  grants: { type: string; name: string; actions: string }[];
  message: string | null;
  /** The expiry, written out in the locale. */
  expires_at: string;
  accept_url: string;
  branding: { logo_url: string | null; primary_color: string | null; sender_name: string | null };
}

export const TEMPLATE_FIELDS = ['subject', 'html', 'text'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export const TEMPLATE_LIMITS = { subject: 1_000, html: 100_000, text: 50_000 } as const;
/** The longest subject sent; longer renderings are cut. */
const SUBJECT_MAX = 200;

const LOCKED_DOWN = {
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  templates: {},
  relativeReference: false,
  cache: false,
  jsTruthy: false,
  parseLimit: TEMPLATE_LIMITS.html,
  renderLimit: 250,
  memoryLimit: 2_000_000,
};

const htmlEngine = new Liquid({ ...LOCKED_DOWN, outputEscape: 'escape' });
htmlEngine.registerFilter('raw', () => {
  throw new Error('the raw filter is not available: values are always escaped in HTML');
});
const textEngine = new Liquid(LOCKED_DOWN);
for (const engine of [htmlEngine, textEngine]) {
  for (const tag of ['include', 'render', 'layout']) {
    engine.registerTag(tag, {
      parse() {
        throw new Error(`the ${tag} tag is not available: a template has no other files`);
      },
      *render() {},
    });
  }
}

/** A template that does not parse or render, with where. */
export class TemplateError extends Error {
  readonly field: TemplateField;
  readonly line: number | null;
  readonly column: number | null;
  constructor(field: TemplateField, message: string, line: number | null, column: number | null) {
    super(message);
    this.field = field;
    this.line = line;
    this.column = column;
  }
}

function templateError(field: TemplateField, error: unknown): TemplateError {
  const liquid = error as Partial<LiquidError> & { message: string };
  const position = liquid.token?.getPosition?.() as [number, number] | undefined;
  // LiquidJS appends ", line:2, col:5" (and its own file name, none here); the fields carry it.
  const message = String(liquid.message ?? error)
    .replace(/, line:\d+, col:\d+$/, '')
    .split('\n')[0]!;
  return new TemplateError(field, message, position?.[0] ?? null, position?.[1] ?? null);
}

async function renderField(field: TemplateField, source: string, variables: TemplateVariables) {
  const engine = field === 'html' ? htmlEngine : textEngine;
  try {
    return await engine.parseAndRender(source, variables as unknown as Record<string, unknown>);
  } catch (error) {
    throw templateError(field, error);
  }
}

/** Renders the three parts; throws a TemplateError for the first that fails. */
export async function renderTemplate(
  source: TemplateSource,
  variables: TemplateVariables,
): Promise<TemplateSource> {
  const [subject, html, text] = await Promise.all(
    TEMPLATE_FIELDS.map((field) => renderField(field, source[field], variables)),
  );
  return {
    // A header: one line, no control characters.
    subject: subject!
      .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
      .trim()
      .slice(0, SUBJECT_MAX),
    html: html!,
    text: text!,
  };
}

const SAMPLE_ACCEPT_URL = 'https://rsvp.example/invite?token=rsvp_it_SAMPLE0000000000000000000000000000';
const SAMPLE_BRANDING = { logo_url: null, primary_color: '#1f6feb', sender_name: 'Example' };

/** The data a template is tried with before it is stored: both kinds, both targets. */
export const SAMPLE_VARIABLES: readonly TemplateVariables[] = [
  {
    kind: 'invitation',
    locale: 'en',
    organization: { name: 'Example Organization' },
    inviter: { name: 'Ada Admin' },
    role: 'member',
    resource: null,
    actions: null,
    grants: [{ type: 'project', name: 'Apollo', actions: 'read, write' }],
    message: null,
    expires_at: 'January 8, 2030 at 12:00 PM UTC',
    accept_url: SAMPLE_ACCEPT_URL,
    branding: SAMPLE_BRANDING,
  },
  {
    kind: 'reminder',
    locale: 'en',
    organization: { name: 'Example Organization' },
    inviter: { name: 'Ada Admin' },
    role: null,
    resource: { type: 'project', name: 'Apollo' },
    actions: 'read, write',
    grants: [],
    message: 'Looking forward to working with you.',
    expires_at: 'January 8, 2030 at 12:00 PM UTC',
    accept_url: SAMPLE_ACCEPT_URL,
    branding: { logo_url: 'https://rsvp.example/logo.png', primary_color: '#0a7d32', sender_name: null },
  },
];

/** Whether the rendered email carries the link that accepts: without it the invitee cannot answer. */
export function hasAcceptLink(rendered: TemplateSource, acceptUrl: string): boolean {
  return rendered.html.includes(acceptUrl) && rendered.text.includes(acceptUrl);
}

/**
 * Refuses (422) a template that does not compile, does not render with sample data, or
 * leaves out the accept link in the HTML or text of either sample; the problem says where.
 */
export async function checkTemplate(source: TemplateSource, locale: string): Promise<void> {
  for (const sample of SAMPLE_VARIABLES) {
    let rendered: TemplateSource;
    try {
      rendered = await renderTemplate(source, { ...sample, locale });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const where = error.line === null ? '' : ` at line ${error.line}, column ${error.column}`;
      throw new AppError(
        422,
        'invalid_template',
        'Invalid template',
        `The ${error.field} template does not render${where}: ${error.message}.`,
        {
          extras: {
            errors: [
              {
                pointer: `/body/${error.field}`,
                detail: error.message,
                line: error.line,
                column: error.column,
              },
            ],
          },
        },
      );
    }
    const missing = (['html', 'text'] as const).filter(
      (field) => !rendered[field].includes(sample.accept_url),
    );
    if (missing.length > 0) {
      throw new AppError(
        422,
        'accept_link_missing',
        'Accept link missing',
        `Every email must carry the accept link: put {{ accept_url }} in the ${missing.join(' and ')} ` +
          `template${missing.length > 1 ? 's' : ''} (it was missing for a ${sample.kind} ` +
          `${sample.resource ? 'to a resource' : 'to the organization'}).`,
        {
          extras: {
            errors: missing.map((field) => ({ pointer: `/body/${field}`, detail: 'no {{ accept_url }}' })),
          },
        },
      );
    }
  }
}
