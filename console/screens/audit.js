import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { formValues, Heading, html, Loading, toIso, useLoad } from '../lib/ui.js';

export function Audit({ org }) {
  const [query, setQuery] = useState({});
  const [tokens, setTokens] = useState([undefined]);
  const token = tokens.at(-1);
  const state = useLoad(
    () =>
      api.get('/v1/events', {
        query: { organization_id: org.id, page_size: 50, ...query, ...(token ? { page_token: token } : {}) },
      }),
    [org.id, JSON.stringify(query), token],
  );
  const submit = (event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    setQuery({
      type: v.type,
      actor_user_id: v.actor,
      subject_id: v.subject,
      since: toIso(v.since),
      until: toIso(v.until, true),
    });
    setTokens([undefined]);
  };
  return html`
    <${Heading}>${t('nav.audit')}</${Heading}>
    <form class="card" onSubmit=${submit} aria-label=${t('filters')}>
      <div class="filters">
        <label>${t('audit.type')}<input name="type" placeholder="invitation.created" /></label>
        <label>${t('audit.actor')}<input name="actor" /></label>
        <label>${t('audit.subject')}<input name="subject" /></label>
        <label>${t('audit.since')}<input name="since" type="date" /></label>
        <label>${t('audit.until')}<input name="until" type="date" /></label>
      </div>
      <button type="submit" class="primary">${t('apply')}</button>
    </form>
    <${Loading} state=${state} />
    <div class="table-wrap"><table>
      <caption class="visually-hidden">${t('nav.audit')}</caption>
      <thead><tr><th scope="col">${t('audit.when')}</th><th scope="col">${t('audit.type')}</th><th scope="col">${t('audit.subject')}</th><th scope="col">${t('audit.actor')}</th><th scope="col" class="hide-narrow">${t('audit.address')}</th></tr></thead>
      <tbody>${(state.data?.events ?? []).map(
        (
          e,
        ) => html`<tr><td>${formatDate(e.create_time)}</td><td>${e.type}</td><td>${e.subject_type} ${e.subject_id}</td>
          <td>${e.actor_user_id ?? '—'}${e.actor_api_key_id ? ` (${e.actor_api_key_id})` : ''}</td><td class="hide-narrow">${e.actor_ip ?? ''}</td></tr>`,
      )}</tbody>
    </table></div>
    <nav class="actions" aria-label=${t('pagination')}>
      <button type="button" disabled=${tokens.length === 1} onClick=${() => setTokens(tokens.slice(0, -1))}>${t('previous')}</button>
      <span class="muted">${t('page', tokens.length)}</span>
      <button type="button" disabled=${!state.data?.next_page_token} onClick=${() => setTokens([...tokens, state.data.next_page_token])}>${t('next')}</button>
    </nav>`;
}
