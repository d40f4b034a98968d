import { useState } from 'preact/hooks';
import { api, readWithEtag } from '../lib/api.js';
import { languageName, useEmailLanguages } from '../lib/email-languages.js';
import { explain, t } from '../lib/i18n.js';
import { formValues, Heading, html, Loading, Notice, useLoad } from '../lib/ui.js';

const domains = (text) =>
  (text ?? '')
    .split(/[\s,]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
const limit = (value) => (value ? Number(value) : null);

/** What the form asks for, compared with what was read: only the fields that differ are sent. */
function changesFrom(v, current) {
  const wanted = {
    seat_limit: limit(v.seat_limit),
    max_pending_invitations: limit(v.max_pending_invitations),
    default_ttl_seconds: Math.round(Number(v.default_ttl_days ?? 7) * 86400),
    allowed_email_domains: domains(v.allowed_email_domains),
    blocked_email_domains: domains(v.blocked_email_domains),
    invitation_confirm: v.invitation_confirm === 'on',
    app_url: v.app_url ?? null,
    locale: v.locale ?? 'en',
  };
  const settings = Object.fromEntries(
    Object.entries(wanted).filter(
      ([key, value]) => JSON.stringify(value) !== JSON.stringify(current.settings[key]),
    ),
  );
  return {
    ...(v.name !== undefined && v.name !== current.name ? { name: v.name } : {}),
    ...(Object.keys(settings).length ? { settings } : {}),
  };
}

/**
 * Read afresh whenever the screen opens and after every save; a save sends only what changed,
 * with the ETag of that read, so it never restores older values or overwrites another admin.
 */
export function Settings({ org, onOrgChanged }) {
  const [outcome, setOutcome] = useState({});
  const state = useLoad(
    () => readWithEtag('/v1/organizations/{org_id}', { path: { org_id: org.id } }),
    [org.id],
  );
  const current = state.data?.data;
  const languages = useEmailLanguages(org.id);
  const submit = async (event) => {
    event.preventDefault();
    const body = changesFrom(formValues(event.currentTarget), current);
    if (!Object.keys(body).length) return setOutcome({ ok: t('settings.unchanged') });
    setOutcome({ busy: true });
    try {
      await api.patch(
        '/v1/organizations/{org_id}',
        { path: { org_id: org.id }, header: { 'if-match': state.data.etag } },
        body,
      );
      setOutcome({ ok: t('saved') });
      onOrgChanged();
    } catch (error) {
      setOutcome({ error: error?.status === 412 ? t('settings.conflict') : explain(error) });
    }
    state.reload();
  };
  if (!current || !languages.ready) {
    return html`<${Heading}>${t('nav.settings')}</${Heading}><${Loading} state=${state} />`;
  }
  const s = current.settings;
  return html`
    <${Heading}>${t('nav.settings')}</${Heading}>
    <form class="card" onSubmit=${submit} key=${state.data.etag}>
      <label>${t('settings.name')}<input name="name" required maxlength="200" value=${current.name} /></label>
      <div class="filters">
        <label>${t('settings.seatLimit')}<input name="seat_limit" type="number" min="1" value=${s.seat_limit ?? ''} /></label>
        <label>${t('settings.pendingLimit')}<input name="max_pending_invitations" type="number" min="1" value=${s.max_pending_invitations ?? ''} /></label>
        <label>${t('settings.defaultTtl')}<input name="default_ttl_days" type="number" min="1" max="30" step="any" value=${s.default_ttl_seconds / 86400} /></label>
        <label>${t('invite.locale')}<select name="locale" value=${s.locale}>${languages.offered.map((l) => html`<option value=${l}>${languageName(l)}</option>`)}</select></label>
      </div>
      <p class="muted">${t('settings.noLimit')}</p>
      <label>${t('settings.allowed')}<textarea name="allowed_email_domains">${s.allowed_email_domains.join('\n')}</textarea></label>
      <label>${t('settings.blocked')}<textarea name="blocked_email_domains">${s.blocked_email_domains.join('\n')}</textarea></label>
      <label>${t('settings.appUrl')}<input name="app_url" type="url" value=${s.app_url ?? ''} /></label>
      <label class="inline"><input type="checkbox" name="invitation_confirm" checked=${s.invitation_confirm} />${t('settings.confirm')}</label>
      <${Notice} error=${outcome.error} ok=${outcome.ok} />
      <div class="actions"><button class="primary" type="submit" disabled=${outcome.busy || state.loading}>${t('save')}</button></div>
    </form>`;
}
