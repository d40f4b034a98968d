import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { html, Notice, useAction } from '../lib/ui.js';

const topRole = (roles) => roles.reduce((top, role) => (role.rank > top.rank ? role : top));

function ReadOnly({ roles }) {
  return html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="roles-title"><table aria-labelledby="roles-title">
      <thead><tr><th scope="col">${t('inv.role')}</th><th scope="col">${t('members.rank')}</th><th scope="col">${t('members.admin')}</th><th scope="col">${t('description')}</th></tr></thead>
      <tbody>${roles.map((r) => html`<tr><td>${r.name}</td><td>${r.rank}</td><td>${r.admin ? t('yes') : t('no')}</td><td>${r.description ?? ''}</td></tr>`)}</tbody>
    </table></div>`;
}

/**
 * The organization's roles. Its owners (and instance admins) edit them; the API keeps the rules
 * (unique names, one top-ranked admin role, roles in use stay) and its refusals are shown as is.
 */
export function RoleCatalog({ org, session, onOrgChanged }) {
  const roles = org.settings.roles;
  const canEdit = session?.user.instance_admin || org.your_role === topRole(roles).name;
  const [rows, setRows] = useState(() => roles.map((r) => ({ ...r, description: r.description ?? '' })));
  const action = useAction();
  if (!canEdit)
    return html`<h2 id="roles-title">${t('members.roles')}</h2><${ReadOnly} roles=${roles} /><p class="muted">${t('roles.ownerOnly')}</p>`;
  const change = (index, field, value) =>
    setRows(rows.map((r, i) => (i === index ? { ...r, [field]: value } : r)));
  const save = async (event) => {
    event.preventDefault();
    const catalog = rows.map((r) => ({
      name: r.name.trim(),
      rank: Number(r.rank),
      admin: r.admin,
      ...(r.description.trim() ? { description: r.description.trim() } : {}),
    }));
    const saved = await action.run(
      () =>
        api.patch(
          '/v1/organizations/{org_id}',
          { path: { org_id: org.id } },
          { settings: { roles: catalog } },
        ),
      t('roles.saved'),
    );
    if (saved) onOrgChanged();
  };
  const field = (index, name, label, extra) =>
    html`<input aria-label=${label} value=${rows[index][name]} onInput=${(e) => change(index, name, e.currentTarget.value)} ...${extra} />`;
  return html`<form onSubmit=${save} aria-labelledby="roles-title">
    <h2 id="roles-title">${t('members.roles')}</h2>
    <p class="muted">${t('roles.rules')}</p>
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="roles-title"><table>
      <thead><tr><th scope="col">${t('inv.role')}</th><th scope="col">${t('members.rank')}</th><th scope="col">${t('members.admin')}</th><th scope="col">${t('description')}</th><th scope="col"><span class="visually-hidden">${t('actions')}</span></th></tr></thead>
      <tbody>${rows.map(
        (r, i) => html`<tr>
          <td>${field(i, 'name', t('roles.nameOf', i + 1), { required: true, pattern: '[a-z][a-z0-9_-]*', maxlength: 64 })}</td>
          <td>${field(i, 'rank', t('roles.rankOf', r.name), { type: 'number', min: 0, max: 1000, required: true })}</td>
          <td><input type="checkbox" aria-label=${t('roles.adminOf', r.name)} checked=${r.admin} onChange=${(e) => change(i, 'admin', e.currentTarget.checked)} /></td>
          <td>${field(i, 'description', t('roles.descriptionOf', r.name), { maxlength: 500 })}</td>
          <td><button type="button" class="danger" aria-label=${t('roles.removeWho', r.name)} onClick=${() => setRows(rows.filter((_, j) => j !== i))}>${t('remove')}</button></td>
        </tr>`,
      )}</tbody>
    </table></div>
    <div class="actions">
      <button type="button" onClick=${() => setRows([...rows, { name: '', rank: 1, admin: false, description: '' }])}>${t('roles.add')}</button>
      <button type="submit" class="primary" disabled=${action.busy}>${t('roles.save')}</button>
    </div>
    <${Notice} error=${action.error} ok=${action.ok} />
  </form>`;
}
