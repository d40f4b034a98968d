import type { Principal } from '../access/principal.ts';
import type { Database } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { type AbuseLimits, describeWindow, type RateLimiter, tooManyRequests } from '../lib/rate-limiter.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';
import { lockOrganization } from '../organizations/organization.repository.ts';
import { enqueue } from '../outbox/outbox.repository.ts';
import { checkTemplate, type TemplateSource } from './email-template.engine.ts';
import {
  deleteEmailBranding,
  deleteEmailTemplate,
  type EmailBrandingRecord,
  findEmailBranding,
  findEmailTemplate,
  listEmailTemplates,
  upsertEmailBranding,
  upsertEmailTemplate,
} from './email-template.repository.ts';
import type { PreviewInput } from './email-template.schemas.ts';

/** Renders a preview the way the email handler renders an email (given by the composition root). */
export type PreviewRenderer = (args: {
  organizationName: string;
  inviterName: string;
  locale: string;
  template: TemplateSource | null;
  branding: EmailBrandingRecord | null;
  data: PreviewInput['data'];
}) => Promise<TemplateSource & { source: 'organization' | 'built_in' }>;

export interface BrandingInput {
  logo_url?: string | null | undefined;
  primary_color?: string | null | undefined;
  sender_name?: string | null | undefined;
}

const templateNotFound = (locale: string) =>
  new AppError(
    404,
    'email_template_not_found',
    'Not found',
    `The organization has no ${locale} email template; its ${locale} emails use the built-in one.`,
  );

function displayName(principal: Principal): string {
  return principal.user.displayName ?? principal.user.username ?? principal.user.email;
}

/**
 * An organization's email templates (one per locale) and branding: admins read and change
 * them, preview them and send themselves a test. Templates are checked before they are stored.
 */
export class EmailTemplateService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  readonly #abuseLimits: AbuseLimits;
  readonly #onQueued: () => void;
  readonly #render: PreviewRenderer;

  constructor(deps: {
    database: Database;
    clock: Clock;
    rateLimiter: RateLimiter;
    abuseLimits: AbuseLimits;
    onQueued: () => void;
    render: PreviewRenderer;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#rateLimiter = deps.rateLimiter;
    this.#abuseLimits = deps.abuseLimits;
    this.#onQueued = deps.onQueued;
    this.#render = deps.render;
  }

  async #admin(principal: Principal, ref: string) {
    const access = await organizationAccess(this.#database.db, principal, ref);
    requireAdmin(access, 'manage email templates');
    return access.organization;
  }

  async list(principal: Principal, ref: string) {
    const organization = await this.#admin(principal, ref);
    return listEmailTemplates(this.#database.db, organization.id);
  }

  async get(principal: Principal, ref: string, locale: string) {
    const organization = await this.#admin(principal, ref);
    const template = await findEmailTemplate(this.#database.db, organization.id, locale);
    if (!template) throw templateNotFound(locale);
    return template;
  }

  /** Stores the template for the locale after checking it renders and carries the accept link. */
  async put(principal: Principal, ref: string, locale: string, input: TemplateSource) {
    const organization = await this.#admin(principal, ref);
    await this.#spendRender(organization.id);
    await checkTemplate(input, locale);
    const now = this.#clock.now();
    return this.#database.db.transaction().execute(async (trx) => {
      await lockOrganization(trx, this.#database.engine, organization.id);
      const result = await upsertEmailTemplate(trx, {
        organizationId: organization.id,
        locale,
        subject: input.subject,
        html: input.html,
        text: input.text,
        updatedByUserId: principal.user.id,
        updatedAt: now,
      });
      await recordAudit(trx, {
        type: 'email_template.updated',
        organizationId: organization.id,
        subject: { type: 'email_template', id: `${organization.id}/${locale}` },
        actor: principal,
        now,
        data: { locale, created: result.created },
      });
      return result;
    });
  }

  async remove(principal: Principal, ref: string, locale: string): Promise<void> {
    const organization = await this.#admin(principal, ref);
    const now = this.#clock.now();
    await this.#database.db.transaction().execute(async (trx) => {
      if (!(await deleteEmailTemplate(trx, organization.id, locale))) throw templateNotFound(locale);
      await recordAudit(trx, {
        type: 'email_template.deleted',
        organizationId: organization.id,
        subject: { type: 'email_template', id: `${organization.id}/${locale}` },
        actor: principal,
        now,
        data: { locale },
      });
    });
  }

  async getBranding(principal: Principal, ref: string): Promise<EmailBrandingRecord | undefined> {
    const organization = await this.#admin(principal, ref);
    return findEmailBranding(this.#database.db, organization.id);
  }

  /** Sets the fields given (null clears one), keeping the others. */
  async putBranding(principal: Principal, ref: string, input: BrandingInput): Promise<EmailBrandingRecord> {
    const organization = await this.#admin(principal, ref);
    const now = this.#clock.now();
    return this.#database.db.transaction().execute(async (trx) => {
      await lockOrganization(trx, this.#database.engine, organization.id);
      const current = await findEmailBranding(trx, organization.id);
      const branding: EmailBrandingRecord = {
        organizationId: organization.id,
        logoUrl: input.logo_url === undefined ? (current?.logoUrl ?? null) : input.logo_url,
        primaryColor:
          input.primary_color === undefined ? (current?.primaryColor ?? null) : input.primary_color,
        senderName: input.sender_name === undefined ? (current?.senderName ?? null) : input.sender_name,
        updatedAt: now,
      };
      await upsertEmailBranding(trx, branding);
      await recordAudit(trx, {
        type: 'email_branding.updated',
        organizationId: organization.id,
        subject: { type: 'organization', id: organization.id },
        actor: principal,
        now,
        data: { fields: Object.keys(input).filter((key) => input[key as keyof BrandingInput] !== undefined) },
      });
      return branding;
    });
  }

  async removeBranding(principal: Principal, ref: string): Promise<void> {
    const organization = await this.#admin(principal, ref);
    const now = this.#clock.now();
    await this.#database.db.transaction().execute(async (trx) => {
      if (!(await deleteEmailBranding(trx, organization.id))) {
        throw new AppError(
          404,
          'email_branding_not_found',
          'Not found',
          'The organization has no email branding.',
        );
      }
      await recordAudit(trx, {
        type: 'email_branding.deleted',
        organizationId: organization.id,
        subject: { type: 'organization', id: organization.id },
        actor: principal,
        now,
      });
    });
  }

  /** Renders without sending: a draft (checked first), else the stored template, else the built-in one. */
  async preview(principal: Principal, ref: string, locale: string, input: PreviewInput) {
    const organization = await this.#admin(principal, ref);
    await this.#spendRender(organization.id);
    if (input.template) await checkTemplate(input.template, locale);
    const db = this.#database.db;
    const [stored, branding] = await Promise.all([
      input.template ? undefined : findEmailTemplate(db, organization.id, locale),
      findEmailBranding(db, organization.id),
    ]);
    const rendered = await this.#render({
      organizationName: organization.name,
      inviterName: displayName(principal),
      locale,
      template: input.template ?? stored ?? null,
      branding: branding ?? null,
      data: input.data,
    });
    const source =
      input.template && rendered.source === 'organization' ? ('draft' as const) : rendered.source;
    return { ...rendered, source, locale, senderName: branding?.senderName ?? null };
  }

  /**
   * A render runs on the event loop every tenant shares (bounded at 250 ms by the engine): an
   * organization gets a few per minute, so one cannot stall the others by previewing in a loop.
   */
  async #spendRender(organizationId: string): Promise<void> {
    const rule = this.#abuseLimits.perOrganizationTemplateRender;
    const decision = await this.#rateLimiter.consume(`template-render:${organizationId}`, rule);
    if (!decision.allowed) {
      throw tooManyRequests(
        decision,
        rule,
        `An organization may check or preview templates ${rule.limit} times per ${describeWindow(rule.windowMs)}.`,
      );
    }
  }

  /**
   * Queues one email in the locale's template (or the built-in one) with sample data, to the
   * caller's own address only, so a test cannot mail anyone else; a few per hour per organization.
   */
  async sendTest(principal: Principal, ref: string, locale: string) {
    const organization = await this.#admin(principal, ref);
    const rule = this.#abuseLimits.perOrganizationTestEmail;
    const decision = await this.#rateLimiter.consume(`template-test:${organization.id}`, rule);
    if (!decision.allowed) {
      throw tooManyRequests(
        decision,
        rule,
        `An organization may send ${rule.limit} test emails per ${describeWindow(rule.windowMs)}.`,
        'test_email_limit_reached',
      );
    }
    const now = this.#clock.now();
    const id = newId('msg', now);
    const to = principal.user.email;
    await this.#database.db.transaction().execute(async (trx) => {
      await enqueue(trx, [
        {
          id,
          kind: 'email',
          topic: 'template_test',
          organizationId: organization.id,
          invitationId: null,
          dedupeKey: `template_test:${id}`,
          payload: {
            kind: 'template_test',
            organization_id: organization.id,
            locale,
            to,
            inviter_name: displayName(principal),
          },
          createdAt: now,
        },
      ]);
      await recordAudit(trx, {
        type: 'email_template.test_sent',
        organizationId: organization.id,
        subject: { type: 'email_template', id: `${organization.id}/${locale}` },
        actor: principal,
        now,
        data: { locale, message_id: id },
      });
    });
    this.#onQueued();
    return { to, locale, messageId: id };
  }
}
