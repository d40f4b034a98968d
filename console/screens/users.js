import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { Badge, formValues, Heading, html, Loading, useLoad } from '../lib/ui.js';

const STATUSES = ['active', 'placeholder', 'deactivated'];

/** Instance admins: every user of the instance, searchable, a page at a time. */
export function Users() {
  const [query, setQuery] = useState({});
  const [tokens, setTokens] = useState([undefined]);
  const token = tokens.at(-1);
  const state = useLoad(
    () =>
      api.get('/v1/users', { query: { ...query, page_size: 50, ...(token ? { page_token: token } : {}) } }),
    [JSON.stringify(query), token],
  );
  const submit = (event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    setQuery({ q: v.q, status: v.status });
    setTokens([undefined]);
  };
  const rows = state.data?.users ?? [];
  return html`
    <${Heading}>${t('nav.users')}</${Heading}>
    <form class="card" onSubmit=${submit} aria-label=${t('filters')}>
      <div class="filters">
        <label>${t('users.search')}<input name="q" type="search" maxlength="200" /></label>
        <label>${t('inv.status')}<select name="status"><option value="">${t('any')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t(`ustatus.${s}`)}</option>`)}</select></label>
      </div>
      <button type="submit" class="primary">${t('apply')}</button>
    </form>
    <${Loading} state=${state} />
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t('nav.users')}><table>
      <caption class="visually-hidden">${t('nav.users')}</caption>
      <thead><tr><th scope="col">${t('inv.email')}</th><th scope="col">${t('members.name')}</th><th scope="col" class="hide-narrow">${t('users.username')}</th><th scope="col">${t('inv.status')}</th><th scope="col">${t('users.instanceAdmin')}</th><th scope="col" class="hide-narrow">${t('inv.created')}</th></tr></thead>
      <tbody>${rows.map(
        (
          u,
        ) => html`<tr><td class="email">${u.email}</td><td>${u.display_name ?? ''}</td><td class="hide-narrow">${u.username ?? ''}</td>
          <td><${Badge} value=${u.status} label=${t(`ustatus.${u.status}`)} /></td><td>${u.instance_admin ? t('yes') : t('no')}</td>
          <td class="hide-narrow">${formatDate(u.create_time)}</td></tr>`,
      )}</tbody>
    </table></div>
    ${!state.loading && !state.error && rows.length === 0 && html`<p>${t('users.empty')}</p>`}
    <nav class="actions" aria-label=${t('pagination')}>
      <button type="button" disabled=${tokens.length === 1} onClick=${() => setTokens(tokens.slice(0, -1))}>${t('previous')}</button>
      <span class="muted" aria-live="polite">${t('page', tokens.length)}</span>
      <button type="button" disabled=${!state.data?.next_page_token} onClick=${() => setTokens([...tokens, state.data.next_page_token])}>${t('next')}</button>
    </nav>`;
}
