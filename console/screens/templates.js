import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { languageName } from '../lib/email-languages.js';
import { explain, formatDate, t } from '../lib/i18n.js';
import { Heading, html, Loading, Notice, useLoad } from '../lib/ui.js';
import { Branding } from './branding.js';

/** What a template may use (the API's TemplateVariables); HTML escapes every value. */
const VARIABLES = [
  'accept_url',
  'organization.name',
  'inviter.name',
  'kind',
  'locale',
  'role',
  'resource.type',
  'resource.name',
  'actions',
  'message',
  'expires_at',
  'branding.logo_url',
  'branding.primary_color',
  'branding.sender_name',
];
/** A combined invitation's resources: a list, empty for the other invitations. */
const GRANTS_LOOP =
  '{% for grant in grants %}{{ grant.type }} {{ grant.name }}: {{ grant.actions }}{% endfor %}';
const FIELDS = ['subject', 'html', 'text'];

/** A starting point for a locale still on the built-in email: the variables every email needs. */
const starter = () => ({
  subject: '{{ inviter.name }} · {{ organization.name }}',
  html: '<p>{{ inviter.name }} → {{ organization.name }}</p>\n<p><a href="{{ accept_url }}">{{ accept_url }}</a></p>\n<p>{{ expires_at }}</p>',
  text: '{{ inviter.name }} → {{ organization.name }}\n\n{{ accept_url }}\n\n{{ expires_at }}',
});

/** Field name → what is wrong there (with line and column when the API knows them). */
function fieldErrors(error) {
  const out = {};
  for (const e of error?.problem?.errors ?? []) {
    const field = e.pointer?.split('/').pop();
    if (!FIELDS.includes(field)) continue;
    out[field] = e.line ? t('tpl.errorAt', e.line, e.column, e.detail) : (e.detail ?? explain(error));
  }
  return out;
}

function Field({ name, value, error, onInput }) {
  const id = `tpl-${name}`;
  const attrs = {
    id,
    name,
    value,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': error ? `${id}-error` : undefined,
    onInput: (e) => onInput(name, e.currentTarget.value),
  };
  return html`<div class="field">
    <label for=${id}>${t(`tpl.${name}`)}</label>
    ${name === 'subject' ? html`<input ...${attrs} maxlength="1000" />` : html`<textarea ...${attrs} rows=${name === 'html' ? 12 : 8} spellcheck="false"></textarea>`}
    ${error && html`<p id=${`${id}-error`} class="field-error">${error}</p>`}
  </div>`;
}

function Preview({ preview }) {
  return html`<section class="card" aria-labelledby="preview-title">
    <h2 id="preview-title" tabindex="-1">${t('tpl.preview')}</h2>
    <dl class="facts">
      <dt>${t('tpl.source')}</dt><dd>${t(`tpl.source.${preview.source}`)}</dd>
      <dt>${t('tpl.sender')}</dt><dd>${preview.sender_name ?? '—'}</dd>
      <dt>${t('tpl.subject')}</dt><dd>${preview.subject}</dd>
    </dl>
    <iframe class="email-preview" title=${t('tpl.previewHtml')} sandbox="" srcdoc=${preview.html}></iframe>
    <h3>${t('tpl.text')}</h3>
    <pre class="email-text">${preview.text}</pre>
  </section>`;
}

function Editor({ org, locale, stored, onChanged }) {
  const [draft, setDraft] = useState(stored ?? starter());
  const [errors, setErrors] = useState({});
  const [outcome, setOutcome] = useState({});
  const [preview, setPreview] = useState(null);
  const path = { path: { org_id: org.id, locale } };
  const edit = (name, value) => setDraft({ ...draft, [name]: value });
  const run = async (action, ok) => {
    setOutcome({ busy: true });
    setErrors({});
    try {
      const result = await action();
      setOutcome({ ok: typeof ok === 'function' ? ok(result) : ok });
      return result ?? true;
    } catch (error) {
      setErrors(fieldErrors(error));
      setOutcome({ error: explain(error) });
      return undefined;
    }
  };
  const save = async (event) => {
    event.preventDefault();
    const saved = await run(
      () => api.put('/v1/organizations/{org_id}/email-templates/{locale}', path, draft),
      null,
    );
    if (saved) onChanged(t('tpl.saved', locale));
  };
  const showPreview = async () => {
    const rendered = await run(() =>
      api.post('/v1/organizations/{org_id}/email-templates/{locale}/preview', path, { template: draft }),
    );
    if (rendered) {
      setPreview(rendered);
      requestAnimationFrame(() => document.getElementById('preview-title')?.focus());
    }
  };
  const sendTest = () =>
    run(
      () => api.post('/v1/organizations/{org_id}/email-templates/{locale}/test', path),
      (sent) => t('tpl.testSent', sent.to),
    );
  const remove = async () => {
    if (!confirm(t('tpl.confirmDelete', locale))) return;
    const removed = await run(
      () => api.del('/v1/organizations/{org_id}/email-templates/{locale}', path),
      null,
    );
    if (removed) onChanged(t('tpl.deleted', locale));
  };
  return html`
    <form class="card" onSubmit=${save} aria-labelledby="editor-title">
      <h2 id="editor-title">${t('tpl.editing', locale)}</h2>
      <p class="muted">${stored ? t('tpl.updated', formatDate(stored.update_time)) : t('tpl.builtIn')}</p>
      ${FIELDS.map((f) => html`<${Field} name=${f} value=${draft[f]} error=${errors[f]} onInput=${edit} />`)}
      <details><summary>${t('tpl.variables')}</summary>
        <p class="muted">${t('tpl.variablesHint')}</p>
        <ul class="variables">${VARIABLES.map((v) => html`<li><code>{{ ${v} }}</code></li>`)}<li><code>${GRANTS_LOOP}</code></li></ul>
      </details>
      <${Notice} error=${outcome.error} ok=${outcome.ok} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${outcome.busy}>${t('save')}</button>
        <button type="button" disabled=${outcome.busy} onClick=${showPreview}>${t('tpl.showPreview')}</button>
        <button type="button" disabled=${outcome.busy} onClick=${sendTest}>${t('tpl.sendTest')}</button>
        ${stored && html`<button type="button" class="danger" disabled=${outcome.busy} onClick=${remove}>${t('tpl.delete')}</button>`}
      </div>
    </form>
    ${preview && html`<${Preview} preview=${preview} />`}`;
}

export function Templates({ org }) {
  const [locale, setLocale] = useState(null);
  // Saving or deleting reloads the list and so remounts the editor: the outcome is kept here.
  const [changed, setChanged] = useState(null);
  const list = useLoad(
    () => api.get('/v1/organizations/{org_id}/email-templates', { path: { org_id: org.id } }),
    [org.id],
  );
  const locales = list.data?.supported_locales ?? [];
  const current = locale ?? locales[0];
  const stored = list.data?.templates.find((tpl) => tpl.locale === current);
  return html`
    <${Heading}>${t('nav.templates')}</${Heading}>
    <p class="muted">${t('tpl.intro')}</p>
    <${Loading} state=${list} />
    ${
      list.data &&
      html`<div class="card filters">
        <label>${t('tpl.locale')}<select value=${current} onChange=${(e) => {
          setLocale(e.currentTarget.value);
          setChanged(null);
        }}>
          ${locales.map(
            (l) =>
              html`<option value=${l}>${languageName(l)} (${l})${list.data.templates.some((tpl) => tpl.locale === l) ? ` · ${t('tpl.custom')}` : ''}</option>`,
          )}
        </select></label>
      </div>
      <${Notice} ok=${changed} />
      <${Editor} key=${`${current}:${stored?.update_time ?? 'built-in'}`} org=${org} locale=${current} stored=${stored} onChanged=${(
        message,
      ) => {
        setChanged(message);
        list.reload();
      }} />`
    }
    <${Branding} org=${org} />`;
}
