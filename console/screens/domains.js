import { api } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { Badge, formValues, Heading, html, Loading, Notice, useAction, useLoad } from '../lib/ui.js';

const MODES = ['none', 'offer', 'auto_join'];

/** The record to publish, as a DNS provider's form asks for it. */
function TxtRecord({ domain }) {
  return html`<dl class="facts">
    <dt>${t('dom.recordType')}</dt><dd>TXT</dd>
    <dt>${t('dom.recordName')}</dt><dd class="secret">${domain.txt_record.name}</dd>
    <dt>${t('dom.recordValue')}</dt><dd class="secret">${domain.txt_record.value}</dd>
  </dl>`;
}

function DomainCard({ org, domain, action, onChanged }) {
  const path = { path: { org_id: org.id, domain: domain.domain } };
  const id = domain.domain.replace(/[^a-z0-9]/g, '-');
  const verify = async () => {
    const checked = await action.run(
      () => api.post('/v1/organizations/{org_id}/domains/{domain}/verify', path),
      t('dom.verified', domain.domain),
    );
    // Refused or not, the check's outcome (its error included) is now on the domain.
    onChanged(checked);
  };
  const save = async (event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const body = { join_mode: v.join_mode, role: v.role, requires_approval: v.requires_approval === 'on' };
    if (
      await action.run(
        () => api.patch('/v1/organizations/{org_id}/domains/{domain}', path, body),
        t('dom.saved', domain.domain),
      )
    )
      onChanged();
  };
  const remove = async () => {
    if (!confirm(t('dom.confirmRemove', domain.domain))) return;
    if (
      await action.run(
        () => api.del('/v1/organizations/{org_id}/domains/{domain}', path).then(() => true),
        t('dom.removed', domain.domain),
      )
    )
      onChanged();
  };
  const verified = domain.status === 'verified';
  return html`<section class="card" aria-labelledby=${`dom-${id}`}>
    <h2 id=${`dom-${id}`}>${domain.domain} <${Badge} value=${domain.status} label=${t(`dom.status.${domain.status}`)} /></h2>
    ${
      verified
        ? html`<p>${t('dom.verifiedOn', formatDate(domain.verify_time))}</p>`
        : html`<p>${t('dom.publish')}</p><${TxtRecord} domain=${domain} />`
    }
    ${
      domain.check_error &&
      html`<p class="notice error">${t('dom.lastCheck', formatDate(domain.check_time))} ${domain.check_error}</p>`
    }
    <form onSubmit=${save} aria-label=${t('dom.settingsOf', domain.domain)}>
      <div class="filters">
        <label>${t('dom.joinMode')}<select name="join_mode" value=${domain.join_mode}>
          ${MODES.map((m) => html`<option value=${m}>${t(`dom.mode.${m}`)}</option>`)}</select></label>
        <label>${t('dom.role')}<select name="role" value=${domain.role}>
          ${org.settings.roles.map((r) => html`<option value=${r.name}>${r.name}</option>`)}</select></label>
      </div>
      <label class="inline"><input type="checkbox" name="requires_approval" checked=${domain.requires_approval} />${t('jl.requiresApproval')}</label>
      <div class="actions">
        <button type="submit" disabled=${action.busy}>${t('save')}</button>
        ${!verified && html`<button type="button" class="primary" disabled=${action.busy} onClick=${verify}>${t('dom.verify')}</button>`}
        ${verified && html`<button type="button" disabled=${action.busy} onClick=${verify}>${t('dom.recheck')}</button>`}
        <button type="button" class="danger" disabled=${action.busy} onClick=${remove}>${t('dom.remove', domain.domain)}</button>
      </div>
    </form>
  </section>`;
}

export function Domains({ org }) {
  const action = useAction();
  const state = useLoad(
    () => api.get('/v1/organizations/{org_id}/domains', { path: { org_id: org.id } }),
    [org.id],
  );
  const add = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const v = formValues(form);
    const body = {
      domain: v.domain ?? '',
      join_mode: v.join_mode,
      role: v.role,
      requires_approval: v.requires_approval === 'on',
    };
    const added = await action.run(
      () => api.post('/v1/organizations/{org_id}/domains', { path: { org_id: org.id } }, body),
      t('dom.added', v.domain),
    );
    if (added) {
      form.reset();
      state.reload();
    }
  };
  const domains = state.data?.domains ?? [];
  return html`
    <${Heading}>${t('nav.domains')}</${Heading}>
    <p class="muted">${t('dom.intro')}</p>
    <form class="card" onSubmit=${add} aria-labelledby="new-domain">
      <h2 id="new-domain">${t('dom.new')}</h2>
      <div class="filters">
        <label>${t('dom.domain')}<input name="domain" required placeholder="example.com" autocomplete="off" /></label>
        <label>${t('dom.joinMode')}<select name="join_mode">
          ${MODES.map((m) => html`<option value=${m} selected=${m === 'offer'}>${t(`dom.mode.${m}`)}</option>`)}</select></label>
        <label>${t('dom.role')}<select name="role"><option value="">${t('invite.defaultRole', org.settings.default_role)}</option>
          ${org.settings.roles.map((r) => html`<option value=${r.name}>${r.name}</option>`)}</select></label>
      </div>
      <label class="inline"><input type="checkbox" name="requires_approval" />${t('jl.requiresApproval')}</label>
      <div class="actions"><button class="primary" type="submit" disabled=${action.busy}>${t('dom.add')}</button></div>
    </form>
    <${Notice} error=${action.error} ok=${action.ok} />
    <${Loading} state=${state} />
    ${state.data && domains.length === 0 && html`<p class="muted">${t('dom.empty')}</p>`}
    ${domains.map(
      (d) =>
        html`<${DomainCard} key=${`${d.domain}:${d.check_time}:${d.join_mode}:${d.role}:${d.requires_approval}`}
          org=${org} domain=${d} action=${action} onChanged=${state.reload} />`,
    )}`;
}
