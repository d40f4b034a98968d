import { z } from 'zod';
import type { EmailTemplateRecord } from '../email-templates/email-template.repository.ts';
import {
  EmailBrandingInputSchema,
  EmailBrandingSchema,
  EmailPreviewSchema,
  EmailTemplateInputSchema,
  EmailTemplateListSchema,
  EmailTemplateParams,
  EmailTemplatePreviewInputSchema,
  EmailTemplateSchema,
  type EmailTemplateView,
  EmailTestSchema,
} from '../email-templates/email-template.schemas.ts';
import { type App, COMMON, optionalBody, problems } from '../http/app-types.ts';
import { SUPPORTED_LOCALES } from '../locales/locales.ts';
import { OrgParams } from '../organizations/organization.schemas.ts';
import type { Services } from '../services.ts';

const TAGS = ['Email templates'];

function templateView(template: EmailTemplateRecord): EmailTemplateView {
  return {
    locale: template.locale,
    subject: template.subject,
    html: template.html,
    text: template.text,
    create_time: template.createdAt.toISOString(),
    update_time: template.updatedAt.toISOString(),
  };
}

function brandingView(
  branding:
    | { logoUrl: string | null; primaryColor: string | null; senderName: string | null; updatedAt: Date }
    | undefined,
) {
  return {
    logo_url: branding?.logoUrl ?? null,
    primary_color: branding?.primaryColor ?? null,
    sender_name: branding?.senderName ?? null,
    update_time: branding?.updatedAt.toISOString() ?? null,
  };
}

const base = '/v1/organizations/:org_id/email-templates';

export function emailTemplateRoutes(app: App, services: Services) {
  registerListEmailTemplates(app, services);
  registerGetEmailTemplate(app, services);
  registerPutEmailTemplate(app, services);
  registerDeleteEmailTemplate(app, services);
  registerPreviewEmailTemplate(app, services);
  registerSendTestEmail(app, services);
  registerGetEmailBranding(app, services);
  registerPutEmailBranding(app, services);
  registerDeleteEmailBranding(app, services);
}

function registerListEmailTemplates(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.get(base, {
    config: { auth: { scope: 'organizations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listEmailTemplates',
      summary: "The organization's own email templates, one per locale",
      description: 'Locales without one use the built-in template. Admins only.',
      params: OrgParams,
      response: {
        200: EmailTemplateListSchema.describe(
          'The organization’s templates and the locales one may be written for.',
        ),
        ...problems(...COMMON),
      },
    },
    handler: async (request) => {
      const list = await templates.list(request.principal!, request.params.org_id);
      return { templates: list.map(templateView), supported_locales: [...SUPPORTED_LOCALES] };
    },
  });
}

function registerGetEmailTemplate(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.get(`${base}/:locale`, {
    config: { auth: { scope: 'organizations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getEmailTemplate',
      summary: "The organization's email template for a locale",
      description: '404 `email_template_not_found` when the locale uses the built-in template.',
      params: EmailTemplateParams,
      response: { 200: EmailTemplateSchema.describe('The stored template.'), ...problems(...COMMON) },
    },
    handler: async (request) =>
      templateView(await templates.get(request.principal!, request.params.org_id, request.params.locale)),
  });
}

function registerPutEmailTemplate(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.put(`${base}/:locale`, {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'putEmailTemplate',
      summary: 'Set the email template for a locale',
      description:
        'Invitation and reminder emails in this locale use it from now on. Checked first: a template ' +
        'that does not parse or render with sample data answers 422 `invalid_template` with the line and ' +
        'column, one without `{{ accept_url }}` in both html and text 422 `accept_link_missing`.',
      params: EmailTemplateParams,
      body: EmailTemplateInputSchema,
      response: {
        200: EmailTemplateSchema.describe('The template, replaced.'),
        201: EmailTemplateSchema.describe('The template, created.'),
        ...problems(...COMMON, 422),
      },
    },
    handler: async (request, reply) => {
      const { org_id, locale } = request.params;
      const { created, record } = await templates.put(request.principal!, org_id, locale, request.body);
      reply.code(created ? 201 : 200);
      return templateView(record);
    },
  });
}

function registerDeleteEmailTemplate(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.delete(`${base}/:locale`, {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'deleteEmailTemplate',
      summary: 'Go back to the built-in template for a locale',
      description:
        'Removes the organization’s template for this locale; its emails go back to the built-in one.',
      params: EmailTemplateParams,
      response: { 204: z.null().describe('Deleted.'), ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      await templates.remove(request.principal!, request.params.org_id, request.params.locale);
      return reply.code(204).send(null);
    },
  });
}

function registerPreviewEmailTemplate(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.post(`${base}/:locale/preview`, {
    config: { auth: { scope: 'organizations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'previewEmailTemplate',
      summary: 'Render an email without sending it',
      description:
        'Renders the draft given, else the stored template, else the built-in one, with sample ' +
        'invitation data or the data given, and the organization’s branding.',
      params: EmailTemplateParams,
      body: optionalBody(EmailTemplatePreviewInputSchema),
      response: { 200: EmailPreviewSchema.describe('The rendered email.'), ...problems(...COMMON, 422) },
    },
    handler: async (request) => {
      const { org_id, locale } = request.params;
      const preview = await templates.preview(request.principal!, org_id, locale, request.body ?? {});
      return {
        locale: preview.locale,
        source: preview.source,
        sender_name: preview.senderName,
        subject: preview.subject,
        html: preview.html,
        text: preview.text,
      };
    },
  });
}

function registerSendTestEmail(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.post(`${base}/:locale/test`, {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'sendTestEmail',
      summary: 'Send yourself a test email in this template',
      description:
        'Queues one email with sample data to your own address, subject marked as a test. ' +
        'A few per hour per organization (429 `test_email_limit_reached`).',
      params: EmailTemplateParams,
      response: { 202: EmailTestSchema.describe('Queued to your own address.'), ...problems(...COMMON, 429) },
    },
    handler: async (request, reply) => {
      const { org_id, locale } = request.params;
      const sent = await templates.sendTest(request.principal!, org_id, locale);
      reply.code(202);
      return { to: sent.to, locale: sent.locale, message_id: sent.messageId };
    },
  });
}

function registerGetEmailBranding(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.get('/v1/organizations/:org_id/email-branding', {
    config: { auth: { scope: 'organizations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getEmailBranding',
      summary: "The organization's email branding (logo, colour, sender name), for every locale",
      description:
        'The logo, button colour and sender name the organization’s emails use (all null when unset).',
      params: OrgParams,
      response: { 200: EmailBrandingSchema.describe('The branding.'), ...problems(...COMMON) },
    },
    handler: async (request) =>
      brandingView(await templates.getBranding(request.principal!, request.params.org_id)),
  });
}

function registerPutEmailBranding(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.put('/v1/organizations/:org_id/email-branding', {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'putEmailBranding',
      summary: 'Set the email branding',
      description:
        'Fields left out keep their value; null clears one. The logo and colour also apply to the ' +
        'built-in templates; the sender name becomes the display name of the From header.',
      params: OrgParams,
      body: EmailBrandingInputSchema,
      response: { 200: EmailBrandingSchema.describe('The branding as saved.'), ...problems(...COMMON) },
    },
    handler: async (request) =>
      brandingView(await templates.putBranding(request.principal!, request.params.org_id, request.body)),
  });
}

function registerDeleteEmailBranding(app: App, services: Services) {
  const templates = services.emailTemplates;
  app.delete('/v1/organizations/:org_id/email-branding', {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'deleteEmailBranding',
      summary: 'Remove the email branding',
      description:
        'Removes the branding; emails go back to the plain built-in look and the instance’s sender name.',
      params: OrgParams,
      response: { 204: z.null().describe('Deleted.'), ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      await templates.removeBranding(request.principal!, request.params.org_id);
      return reply.code(204).send(null);
    },
  });
}
