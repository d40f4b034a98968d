import { useState } from 'preact/hooks';
import { api, getAll } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { formValues, Heading, html, Loading, Notice, toIso, useAction, useLoad } from '../lib/ui.js';

const SCOPES = [
  'organizations:read',
  'organizations:write',
  'members:read',
  'members:write',
  'resources:read',
  'resources:write',
  'invitations:read',
  'invitations:write',
  'invitations:respond',
  'users:read',
  'users:write',
  'keys:read',
  'keys:write',
  'events:read',
  'webhooks:read',
  'webhooks:write',
  'instance:read',
];

export function Keys() {
  const action = useAction();
  const [created, setCreated] = useState(null);
  const state = useLoad(() => getAll('/v1/api-keys', {}, 'api_keys'), []);
  const create = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const v = formValues(form);
    const scopes = v.scope ? [].concat(v.scope) : undefined;
    const key = await action.run(() =>
      api.post('/v1/api-keys', {}, { name: v.name, scopes, expire_time: toIso(v.expires, true) }),
    );
    if (key) {
      setCreated(key);
      form.reset();
      state.reload();
    }
  };
  const revoke = async (key) => {
    if (!confirm(t('keys.confirmRevoke', key.name))) return;
    if (
      await action.run(
        () => api.del('/v1/api-keys/{key_id}', { path: { key_id: key.id } }).then(() => true),
        t('keys.revoked', key.name),
      )
    )
      state.reload();
  };
  return html`
    <${Heading}>${t('nav.keys')}</${Heading}>
    <form class="card" onSubmit=${create} aria-labelledby="new-key">
      <h2 id="new-key">${t('keys.new')}</h2>
      <div class="filters">
        <label>${t('keys.name')}<input name="name" required maxlength="100" /></label>
        <label>${t('keys.expires')}<input name="expires" type="date" /></label>
      </div>
      <fieldset><legend>${t('keys.scopes')}</legend>
        ${SCOPES.map((s) => html`<label class="inline"><input type="checkbox" name="scope" value=${s} />${s}</label>`)}
      </fieldset>
      <button class="primary" type="submit" disabled=${action.busy}>${t('keys.create')}</button>
    </form>
    ${created && html`<div class="card" role="status"><p>${t('keys.shownOnce', created.name)}</p><p class="secret">${created.secret}</p></div>`}
    <${Notice} error=${action.error} ok=${action.ok} />
    <${Loading} state=${state} />
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t('nav.keys')}><table>
      <caption class="visually-hidden">${t('nav.keys')}</caption>
      <thead><tr><th scope="col">${t('keys.name')}</th><th scope="col">${t('keys.hint')}</th><th scope="col">${t('keys.scopes')}</th><th scope="col" class="hide-narrow">${t('inv.created')}</th><th scope="col">${t('keys.lastUsed')}</th><th scope="col">${t('inv.expires')}</th><th scope="col"><span class="visually-hidden">${t('actions')}</span></th></tr></thead>
      <tbody>${(state.data?.api_keys ?? []).map(
        (
          k,
        ) => html`<tr><td>${k.name}</td><td>${k.hint}</td><td>${k.scopes.join(' ')}</td><td class="hide-narrow">${formatDate(k.create_time)}</td>
          <td>${formatDate(k.last_use_time)}</td><td>${formatDate(k.expire_time)}</td>
          <td>${k.revoke_time ? t('keys.revokedOn', formatDate(k.revoke_time)) : html`<button type="button" class="danger" aria-label=${t('keys.revokeWho', k.name)} onClick=${() => revoke(k)}>${t('keys.revoke')}</button>`}</td></tr>`,
      )}</tbody>
    </table></div>`;
}
