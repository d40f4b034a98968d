import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { formValues, Heading, html, Loading, Notice, useAction, useLoad } from '../lib/ui.js';

function Grants({ org, resource }) {
  const state = useLoad(
    () =>
      api.get('/v1/organizations/{org_id}/resources/{resource_id}/grants', {
        path: { org_id: org.id, resource_id: resource.id },
      }),
    [resource.id],
  );
  return html`<${Loading} state=${state} />
    ${
      state.data &&
      (state.data.grants.length
        ? html`<ul>${state.data.grants.map((g) => html`<li>${g.email}: ${g.actions.join(', ')}</li>`)}</ul>`
        : html`<p class="muted">${t('resources.noGrants')}</p>`)
    }`;
}

export function Resources({ org }) {
  const action = useAction();
  const [open, setOpen] = useState(null);
  const state = useLoad(
    () =>
      api.get('/v1/organizations/{org_id}/resources', {
        path: { org_id: org.id },
        query: { page_size: 100 },
      }),
    [org.id],
  );
  const create = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const { type, name } = formValues(form);
    if (
      await action.run(
        () => api.post('/v1/organizations/{org_id}/resources', { path: { org_id: org.id } }, { type, name }),
        t('resources.created'),
      )
    ) {
      form.reset();
      state.reload();
    }
  };
  return html`
    <${Heading}>${t('nav.resources')}</${Heading}>
    <form class="card row" onSubmit=${create} aria-label=${t('resources.new')}>
      <label>${t('resources.type')}<input name="type" required pattern="[a-z][a-z0-9_-]*" /></label>
      <label>${t('settings.name')}<input name="name" required maxlength="200" /></label>
      <button type="submit" disabled=${action.busy}>${t('resources.create')}</button>
    </form>
    <${Notice} error=${action.error} ok=${action.ok} />
    <${Loading} state=${state} />
    <div class="table-wrap"><table>
      <caption class="visually-hidden">${t('nav.resources')}</caption>
      <thead><tr><th scope="col">${t('settings.name')}</th><th scope="col">${t('resources.type')}</th><th scope="col">ID</th><th scope="col" class="hide-narrow">${t('inv.created')}</th><th scope="col">${t('resources.grants')}</th></tr></thead>
      <tbody>${(state.data?.resources ?? []).map(
        (
          r,
        ) => html`<tr><td>${r.name}</td><td>${r.type}</td><td>${r.id}</td><td class="hide-narrow">${formatDate(r.create_time)}</td>
          <td>${open === r.id ? html`<${Grants} org=${org} resource=${r} />` : html`<button type="button" onClick=${() => setOpen(r.id)}>${t('resources.showGrants')}</button>`}</td></tr>`,
      )}</tbody>
    </table></div>`;
}
