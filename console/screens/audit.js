import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { actorOf, formValues, Heading, html, Loading, Pager, toIso, useLoad } from '../lib/ui.js';

/**
 * The audit log of the organization; instance admins may widen it to the whole instance, which
 * adds the events outside any organization (users created, API keys made and revoked).
 */
export function Audit({ org, session }) {
  const [query, setQuery] = useState({});
  const [wide, setWide] = useState(false);
  const [tokens, setTokens] = useState([undefined]);
  const token = tokens.at(-1);
  const state = useLoad(
    () =>
      api.get('/v1/events', {
        query: {
          ...(wide ? {} : { organization_id: org.id }),
          page_size: 50,
          ...query,
          ...(token ? { page_token: token } : {}),
        },
      }),
    [org.id, wide, JSON.stringify(query), token],
  );
  const submit = (event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    setWide(v.scope === 'instance');
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
        ${
          session.user.instance_admin &&
          html`<label>${t('audit.scope')}<select name="scope">
            <option value="organization">${t('audit.scopeOrg', org.name)}</option>
            <option value="instance">${t('audit.scopeInstance')}</option></select></label>`
        }
        <label>${t('audit.type')}<input name="type" placeholder="invitation.created" /></label>
        <label>${t('audit.actor')}<input name="actor" /></label>
        <label>${t('audit.subject')}<input name="subject" /></label>
        <label>${t('audit.since')}<input name="since" type="date" /></label>
        <label>${t('audit.until')}<input name="until" type="date" /></label>
      </div>
      <button type="submit" class="primary">${t('apply')}</button>
    </form>
    <${Loading} state=${state} />
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t('nav.audit')}><table>
      <caption class="visually-hidden">${t('nav.audit')}</caption>
      <thead><tr><th scope="col">${t('audit.when')}</th><th scope="col">${t('audit.type')}</th>${wide && html`<th scope="col">${t('org.switch')}</th>`}<th scope="col">${t('audit.subject')}</th><th scope="col">${t('audit.by')}</th><th scope="col" class="hide-narrow">${t('audit.address')}</th></tr></thead>
      <tbody>${(state.data?.events ?? []).map(
        (
          e,
        ) => html`<tr><td>${formatDate(e.create_time)}</td><td>${e.type}</td>${wide && html`<td>${e.organization_id ?? t('audit.instanceWide')}</td>`}<td>${e.subject_type} ${e.subject_id}</td>
          <td>${actorOf(e)}</td><td class="hide-narrow">${e.actor_ip ?? ''}</td></tr>`,
      )}</tbody>
    </table></div>
    ${
      state.data?.events.length === 0 &&
      html`<p role="status">${tokens.length > 1 ? t('audit.noMore') : t('audit.empty')}</p>`
    }
    <${Pager} tokens=${tokens} setTokens=${setTokens} state=${state} more=${state.data?.events.length === 50} />`;
}
