import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { formValues, html, Loading, Notice, useAction, useLoad } from '../lib/ui.js';

/** Logo, button colour and sender name: one set for every locale's emails. */
export function Branding({ org }) {
  const action = useAction();
  const path = { path: { org_id: org.id } };
  const state = useLoad(() => api.get('/v1/organizations/{org_id}/email-branding', path), [org.id]);
  const save = async (event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const body = {
      logo_url: v.logo_url ?? null,
      primary_color: v.primary_color ?? null,
      sender_name: v.sender_name ?? null,
    };
    if (await action.run(() => api.put('/v1/organizations/{org_id}/email-branding', path, body), t('saved')))
      state.reload();
  };
  const remove = async () => {
    if (!confirm(t('brand.confirmRemove'))) return;
    if (
      await action.run(
        () => api.del('/v1/organizations/{org_id}/email-branding', path).then(() => true),
        t('brand.removed'),
      )
    )
      state.reload();
  };
  const b = state.data;
  return html`<form class="card" onSubmit=${save} aria-labelledby="branding-title">
    <h2 id="branding-title">${t('brand.title')}</h2>
    <${Loading} state=${state} />
    ${
      b &&
      html`<div key=${b.update_time ?? 'none'}>
      <label>${t('brand.logo')}<input name="logo_url" type="url" pattern="https://.+" value=${b.logo_url ?? ''} aria-describedby="logo-hint" placeholder="https://" /></label>
      <p id="logo-hint" class="muted">${t('brand.logoHint')}</p>
      <div class="filters">
        <label>${t('brand.color')}<input name="primary_color" pattern="#[0-9a-fA-F]{6}" value=${b.primary_color ?? ''} placeholder="#0a7d32" aria-describedby="color-hint" /></label>
        <label>${t('brand.sender')}<input name="sender_name" maxlength="100" value=${b.sender_name ?? ''} /></label>
      </div>
      <p id="color-hint" class="muted">${t('brand.colorHint')}</p>
      <${Notice} error=${action.error} ok=${action.ok} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${action.busy}>${t('brand.save')}</button>
        ${b.update_time && html`<button type="button" class="danger" disabled=${action.busy} onClick=${remove}>${t('brand.remove')}</button>`}
      </div>
    </div>`
    }
  </form>`;
}
