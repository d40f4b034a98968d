import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';
import type { TemplateSource } from './email-template.engine.ts';

export interface EmailTemplateRecord extends TemplateSource {
  organizationId: string;
  locale: string;
  updatedByUserId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EmailBrandingRecord {
  organizationId: string;
  logoUrl: string | null;
  primaryColor: string | null;
  senderName: string | null;
  updatedAt: Date;
}

type TemplateRow = {
  organization_id: string;
  locale: string;
  subject: string;
  html: string;
  text: string;
  updated_by_user_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
};

function toTemplate(row: TemplateRow): EmailTemplateRecord {
  return {
    organizationId: row.organization_id,
    locale: row.locale,
    subject: row.subject,
    html: row.html,
    text: row.text,
    updatedByUserId: row.updated_by_user_id,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export async function findEmailTemplate(
  db: Executor,
  organizationId: string,
  locale: string,
): Promise<EmailTemplateRecord | undefined> {
  const row = await db
    .selectFrom('email_templates')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('locale', '=', locale)
    .executeTakeFirst();
  return row ? toTemplate(row) : undefined;
}

export async function listEmailTemplates(
  db: Executor,
  organizationId: string,
): Promise<EmailTemplateRecord[]> {
  const rows = await db
    .selectFrom('email_templates')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('locale')
    .execute();
  return rows.map(toTemplate);
}

/** Inserts or replaces; answers whether a template existed before. */
export async function upsertEmailTemplate(
  db: Executor,
  template: Omit<EmailTemplateRecord, 'createdAt'>,
): Promise<{ created: boolean; record: EmailTemplateRecord }> {
  const existing = await findEmailTemplate(db, template.organizationId, template.locale);
  const values = {
    subject: template.subject,
    html: template.html,
    text: template.text,
    updated_by_user_id: template.updatedByUserId,
    updated_at: template.updatedAt,
  };
  if (existing) {
    await db
      .updateTable('email_templates')
      .set(values)
      .where('organization_id', '=', template.organizationId)
      .where('locale', '=', template.locale)
      .execute();
    return { created: false, record: { ...template, createdAt: existing.createdAt } };
  }
  await db
    .insertInto('email_templates')
    .values({
      organization_id: template.organizationId,
      locale: template.locale,
      created_at: template.updatedAt,
      ...values,
    })
    .execute();
  return { created: true, record: { ...template, createdAt: template.updatedAt } };
}

export async function deleteEmailTemplate(
  db: Executor,
  organizationId: string,
  locale: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('email_templates')
    .where('organization_id', '=', organizationId)
    .where('locale', '=', locale)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function findEmailBranding(
  db: Executor,
  organizationId: string,
): Promise<EmailBrandingRecord | undefined> {
  const row = await db
    .selectFrom('email_branding')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  return row
    ? {
        organizationId: row.organization_id,
        logoUrl: row.logo_url,
        primaryColor: row.primary_color,
        senderName: row.sender_name,
        updatedAt: toDate(row.updated_at),
      }
    : undefined;
}

export async function upsertEmailBranding(db: Executor, branding: EmailBrandingRecord): Promise<void> {
  const values = {
    logo_url: branding.logoUrl,
    primary_color: branding.primaryColor,
    sender_name: branding.senderName,
    updated_at: branding.updatedAt,
  };
  await db
    .insertInto('email_branding')
    .values({ organization_id: branding.organizationId, ...values })
    .onConflict((oc) => oc.column('organization_id').doUpdateSet(values))
    .execute();
}

export async function deleteEmailBranding(db: Executor, organizationId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('email_branding')
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
