import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { administers, Heading, html, Loading, Notice, Pager, useAction, useLoad } from '../lib/ui.js';
import { RoleCatalog } from './roles.js';

export function Members({ org, session, onOrgChanged }) {
  const action = useAction();
  const manage = administers(session, org);
  // Choosing in a select (arrow keys included) only picks; the button changes the role.
  const [chosen, setChosen] = useState({});
  const [tokens, setTokens] = useState([undefined]);
  const pageToken = tokens.at(-1);
  const state = useLoad(
    () =>
      api.get('/v1/organizations/{org_id}/members', {
        path: { org_id: org.id },
        query: { page_size: 100, ...(pageToken ? { page_token: pageToken } : {}) },
      }),
    [org.id, pageToken],
  );
  const path = (member) => ({ path: { org_id: org.id, user_id: member.user_id } });
  const setRole = async (member, role) => {
    await action.run(
      () => api.patch('/v1/organizations/{org_id}/members/{user_id}', path(member), { role }),
      t('members.roleChanged', member.email, role),
    );
    setChosen(({ [member.user_id]: _, ...rest }) => rest);
    state.reload();
  };
  const remove = async (member) => {
    if (!confirm(t('members.confirmRemove', member.email))) return;
    if (
      await action.run(
        () => api.del('/v1/organizations/{org_id}/members/{user_id}', path(member)).then(() => true),
        t('members.removed', member.email),
      )
    )
      state.reload();
  };
  return html`
    <${Heading}>${t('nav.members')}</${Heading}>
    <${Notice} error=${action.error} ok=${action.ok} />
    <${Loading} state=${state} />
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t('nav.members')}><table>
      <caption class="visually-hidden">${t('nav.members')}</caption>
      <thead><tr><th scope="col">${t('inv.email')}</th><th scope="col">${t('members.name')}</th><th scope="col">${t('inv.role')}</th><th scope="col" class="hide-narrow">${t('members.since')}</th>${manage && html`<th scope="col"><span class="visually-hidden">${t('actions')}</span></th>`}</tr></thead>
      <tbody>${(state.data?.members ?? []).map(
        (m) => html`<tr>
          <td class="email">${m.email}</td><td>${m.display_name ?? ''}</td>
          <td>${
            manage
              ? html`<select aria-label=${t('members.roleOf', m.email)} value=${chosen[m.user_id] ?? m.role} onChange=${(e) => setChosen({ ...chosen, [m.user_id]: e.currentTarget.value })}>
            ${org.settings.roles.map((r) => html`<option value=${r.name}>${r.name}</option>`)}</select>
            ${' '}<button type="button" aria-label=${t('members.changeRoleOf', m.email)} disabled=${action.busy || (chosen[m.user_id] ?? m.role) === m.role} onClick=${() => setRole(m, chosen[m.user_id])}>${t('members.changeRole')}</button>`
              : m.role
          }</td>
          <td class="hide-narrow">${formatDate(m.create_time)}</td>
          ${manage && html`<td><button type="button" class="danger" aria-label=${t('members.removeWho', m.email)} onClick=${() => remove(m)}>${t('remove')}</button></td>`}
        </tr>`,
      )}</tbody>
    </table></div>
    <${Pager} tokens=${tokens} setTokens=${setTokens} state=${state} />
    <${RoleCatalog} org=${org} session=${session} onOrgChanged=${onOrgChanged} />`;
}
