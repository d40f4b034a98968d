import { formatDate, t } from '../lib/i18n.js';
import { Heading, html } from '../lib/ui.js';

/** Instance admins: every organization of the instance (the list endpoint shows them all). */
export function Organizations({ organizations, onMore }) {
  return html`
    <${Heading}>${t('nav.organizations')}</${Heading}>
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t('nav.organizations')}><table>
      <caption class="visually-hidden">${t('nav.organizations')}</caption>
      <thead><tr><th scope="col">${t('settings.name')}</th><th scope="col">Slug</th><th scope="col">${t('org.yourRole')}</th><th scope="col">${t('inv.created')}</th></tr></thead>
      <tbody>${organizations.map((o) => html`<tr><td>${o.name}</td><td>${o.slug}</td><td>${o.your_role ?? '—'}</td><td>${formatDate(o.create_time)}</td></tr>`)}</tbody>
    </table></div>
    ${onMore && html`<div class="actions"><button type="button" onClick=${onMore}>${t('org.more')}</button></div>`}`;
}
