import { useState } from 'preact/hooks';
import { api, getAll } from '../lib/api.js';
import { explain, formatDate, t } from '../lib/i18n.js';
import { Badge, formValues, Heading, html, Loading, Notice, Pager, toIso, useLoad } from '../lib/ui.js';

const STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'];
const DELIVERY = ['queued', 'sent', 'failed', 'not_sent'];
const ORDERS = ['-create_time', 'create_time', '-expire_time', 'expire_time', 'email', '-email'];
const PAGE_SIZE = 25;

/** Filters as the list endpoint takes them, from the filter form. */
function queryFrom(values) {
  return {
    status: values.status,
    role: values.role,
    target_type: values.target_type,
    resource_id: values.resource_id,
    inviter_id: values.inviter_id,
    delivery_state: values.delivery_state,
    q: values.q,
    created_after: toIso(values.created_after),
    created_before: toIso(values.created_before, true),
    order_by: values.order_by ?? '-create_time',
  };
}

function Filters({ org, members, resources, onApply }) {
  const roles = org.settings.roles.map((r) => r.name);
  const submit = (event) => {
    event.preventDefault();
    onApply(queryFrom(formValues(event.currentTarget)));
  };
  const select = (name, options, label, value = (o) => o) => html`<label>${t(`inv.${name}`)}
    <select name=${name}><option value="">${t('any')}</option>
      ${options.map((o) => html`<option value=${value(o)}>${label ? label(o) : o}</option>`)}</select></label>`;
  return html`<form class="card" onSubmit=${submit} aria-label=${t('filters')}>
    <div class="filters">
      <label>${t('search')}<input name="q" type="search" maxlength="200" /></label>
      ${select('status', STATUSES, (s) => t(`status.${s}`))}
      ${select('role', roles)}
      ${select('target_type', ['organization', 'resource'], (s) => t(`target.${s}`))}
      ${select(
        'resource_id',
        resources,
        (r) => `${r.name} (${r.type})`,
        (r) => r.id,
      )}
      ${select(
        'inviter_id',
        members,
        (m) => m.email,
        (m) => m.user_id,
      )}
      ${select('delivery_state', DELIVERY, (s) => t(`delivery.${s}`))}
      <label>${t('inv.created_after')}<input name="created_after" type="date" /></label>
      <label>${t('inv.created_before')}<input name="created_before" type="date" /></label>
      <label>${t('sort')}<select name="order_by">${ORDERS.map((o) => html`<option value=${o}>${t(`order.${o}`)}</option>`)}</select></label>
    </div>
    <button type="submit" class="primary">${t('apply')}</button>
  </form>`;
}

/** One bulk call for the selected invitations; a refusal is reported per address, never stops the rest. */
async function bulk(org, ids, verb) {
  const answer = await api.post(
    `/v1/organizations/{org_id}/invitations/bulk-${verb}`,
    { path: { org_id: org.id } },
    verb === 'resend' ? { ids, send_email: true } : { ids },
  );
  return answer.results
    .filter((row) => row.error)
    .map((row) => ({ id: row.id, error: { problem: row.error } }));
}

export function Invitations({ org }) {
  const [query, setQuery] = useState({ order_by: '-create_time' });
  const [tokens, setTokens] = useState([undefined]);
  const [selected, setSelected] = useState(new Set());
  const [result, setResult] = useState({});
  const members = useLoad(
    () => getAll('/v1/organizations/{org_id}/members', { path: { org_id: org.id } }, 'members'),
    [org.id],
  );
  const resources = useLoad(
    () => getAll('/v1/organizations/{org_id}/resources', { path: { org_id: org.id } }, 'resources'),
    [org.id],
  );
  const resourceName = (id) => resources.data?.resources.find((r) => r.id === id)?.name ?? id;
  const nameOf = (id) => members.data?.members.find((m) => m.user_id === id)?.email ?? id;
  const pageToken = tokens.at(-1);
  const state = useLoad(
    () =>
      api.get('/v1/organizations/{org_id}/invitations', {
        path: { org_id: org.id },
        query: { ...query, page_size: PAGE_SIZE, ...(pageToken ? { page_token: pageToken } : {}) },
      }),
    [org.id, JSON.stringify(query), pageToken],
  );
  const rows = state.data?.invitations ?? [];
  const apply = (next) => {
    setQuery(next);
    setTokens([undefined]);
    setSelected(new Set());
  };
  const toggle = (id) => {
    const next = new Set(selected);
    next.has(id) ? next.delete(id) : next.add(id);
    setSelected(next);
  };
  const runBulk = async (verb) => {
    const ids = [...selected];
    setResult({ busy: true });
    const failures = await bulk(org, ids, verb);
    const emailOf = (id) => rows.find((r) => r.id === id)?.email ?? id;
    // Both halves of a partial success: how many went through, and each refusal with its reason.
    const succeeded = ids.length - failures.length;
    setResult({
      ok: succeeded ? t(`bulk.${verb}.done`, succeeded) : null,
      error: failures.length
        ? `${t(`bulk.${verb}.failed`, failures.length)} ${failures.map((f) => `${emailOf(f.id)}: ${explain(f.error)}`).join(' · ')}`
        : null,
    });
    setSelected(new Set());
    state.reload();
  };
  return html`
    <${Heading}>${t('nav.invitations')}</${Heading}>
    <p><a href="#/invite">${t('inv.new')}</a></p>
    <${Filters} org=${org} members=${members.data?.members ?? []} resources=${resources.data?.resources ?? []} onApply=${apply} />
    <div class="actions" role="group" aria-label=${t('bulk')}>
      <button type="button" disabled=${!selected.size || result.busy} onClick=${() => runBulk('resend')}>${t('bulk.resend', selected.size)}</button>
      <button type="button" class="danger" disabled=${!selected.size || result.busy} onClick=${() => runBulk('revoke')}>${t('bulk.revoke', selected.size)}</button>
    </div>
    <${Notice} ok=${result.ok} />
    <${Notice} error=${result.error} />
    <${Loading} state=${state} />
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t('nav.invitations')}><table>
      <caption class="visually-hidden">${t('nav.invitations')}</caption>
      <thead><tr>
        <th scope="col"><span class="visually-hidden">${t('select')}</span></th>
        <th scope="col">${t('inv.email')}</th><th scope="col">${t('inv.status')}</th>
        <th scope="col">${t('inv.roleOrResource')}</th><th scope="col" class="hide-narrow">${t('inv.inviter')}</th>
        <th scope="col" class="hide-narrow">${t('inv.created')}</th><th scope="col" class="hide-narrow">${t('inv.expires')}</th>
        <th scope="col">${t('inv.delivery_state')}</th>
      </tr></thead>
      <tbody>${rows.map(
        (row) => html`<tr>
          <td><input type="checkbox" aria-label=${t('selectRow', row.email)} checked=${selected.has(row.id)} onChange=${() => toggle(row.id)} /></td>
          <td class="email"><a href=${`#/invitations/${row.id}`}>${row.email}</a></td>
          <td><${Badge} value=${row.status} label=${t(`status.${row.status}`)} /></td>
          <td>${row.target_type === 'resource' ? `${resourceName(row.resource_id)} (${(row.actions ?? []).join(', ')})` : row.role}</td>
          <td class="hide-narrow">${row.inviter_user_id ? nameOf(row.inviter_user_id) : (row.inviter_api_key_id ?? '—')}</td>
          <td class="hide-narrow">${formatDate(row.create_time)}</td>
          <td class="hide-narrow">${formatDate(row.expire_time)}</td>
          <td><${Badge} value=${row.delivery_state} label=${t(`delivery.${row.delivery_state}`)} /></td>
        </tr>`,
      )}</tbody>
    </table></div>
    ${!state.loading && rows.length === 0 && html`<p>${t('inv.empty')}</p>`}
    <${Pager} tokens=${tokens} setTokens=${setTokens} state=${state} />`;
}
