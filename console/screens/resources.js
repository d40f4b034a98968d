import { useState } from 'preact/hooks';
import { api, getAll } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { formValues, Heading, html, Loading, Notice, useAction, useLoad } from '../lib/ui.js';

const actionList = (text) => [...new Set((text ?? '').split(/[\s,]+/).filter(Boolean))];

/** Who holds what on one resource: grant a member actions (or change them), take them away. */
function Grants({ org, resource, members }) {
  const action = useAction();
  const path = (userId) => ({ path: { org_id: org.id, resource_id: resource.id, user_id: userId } });
  const state = useLoad(
    () =>
      getAll(
        '/v1/organizations/{org_id}/resources/{resource_id}/grants',
        { path: { org_id: org.id, resource_id: resource.id } },
        'grants',
      ),
    [resource.id],
  );
  const grant = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const v = formValues(form);
    const email = members.find((m) => m.user_id === v.user_id)?.email;
    const done = await action.run(
      () =>
        api.put(
          '/v1/organizations/{org_id}/resources/{resource_id}/grants/{user_id}',
          path(v.user_id ?? ''),
          { actions: actionList(v.actions) },
        ),
      t('resources.granted', email),
    );
    if (done) {
      form.reset();
      state.reload();
    }
  };
  const revoke = async (g) => {
    const done = await action.run(
      () =>
        api
          .del('/v1/organizations/{org_id}/resources/{resource_id}/grants/{user_id}', path(g.user_id))
          .then(() => true),
      t('resources.grantRemoved', g.email),
    );
    if (done) state.reload();
  };
  return html`<${Loading} state=${state} />
    ${
      state.data &&
      (state.data.grants.length
        ? html`<ul class="grants">${state.data.grants.map(
            (g) =>
              html`<li>${g.email}: ${g.actions.join(', ')} <button type="button" class="danger" aria-label=${t('resources.revokeWho', g.email, resource.name)} onClick=${() => revoke(g)}>${t('remove')}</button></li>`,
          )}</ul>`
        : html`<p class="muted">${t('resources.noGrants')}</p>`)
    }
    <form class="row" onSubmit=${grant} aria-label=${t('resources.grantOn', resource.name)}>
      <label>${t('resources.member')}<select name="user_id" required>
        ${members.map((m) => html`<option value=${m.user_id}>${m.email}</option>`)}</select></label>
      <label>${t('resources.actions')}<input name="actions" required placeholder="view, edit" /></label>
      <button type="submit" disabled=${action.busy}>${t('resources.grant')}</button>
    </form>
    <${Notice} error=${action.error} ok=${action.ok} />`;
}

export function Resources({ org }) {
  const action = useAction();
  const [open, setOpen] = useState(null);
  const state = useLoad(
    () => getAll('/v1/organizations/{org_id}/resources', { path: { org_id: org.id } }, 'resources'),
    [org.id],
  );
  const members = useLoad(
    () => getAll('/v1/organizations/{org_id}/members', { path: { org_id: org.id } }, 'members'),
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
  const remove = async (resource) => {
    if (!confirm(t('resources.confirmDelete', resource.name))) return;
    const path = { path: { org_id: org.id, resource_id: resource.id } };
    const done = await action.run(
      () => api.del('/v1/organizations/{org_id}/resources/{resource_id}', path).then(() => true),
      t('resources.deleted', resource.name),
    );
    if (done) state.reload();
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
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t('nav.resources')}><table>
      <caption class="visually-hidden">${t('nav.resources')}</caption>
      <thead><tr><th scope="col">${t('settings.name')}</th><th scope="col">${t('resources.type')}</th><th scope="col" class="hide-narrow">ID</th><th scope="col" class="hide-narrow">${t('inv.created')}</th><th scope="col">${t('resources.grants')}</th><th scope="col"><span class="visually-hidden">${t('actions')}</span></th></tr></thead>
      <tbody>${(state.data?.resources ?? []).map(
        (
          r,
        ) => html`<tr><td>${r.name}</td><td>${r.type}</td><td class="hide-narrow">${r.id}</td><td class="hide-narrow">${formatDate(r.create_time)}</td>
          <td>${
            open === r.id
              ? html`<${Grants} org=${org} resource=${r} members=${members.data?.members ?? []} />`
              : html`<button type="button" aria-label=${t('resources.showGrantsOf', r.name)} onClick=${() => setOpen(r.id)}>${t('resources.showGrants')}</button>`
          }</td>
          <td><button type="button" class="danger" aria-label=${t('resources.deleteWho', r.name)} disabled=${action.busy} onClick=${() => remove(r)}>${t('resources.delete')}</button></td></tr>`,
      )}</tbody>
    </table></div>`;
}
