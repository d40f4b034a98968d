import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { formValues, Heading, html, Notice, useAction } from '../lib/ui.js';

const domains = (text) =>
  (text ?? '')
    .split(/[\s,]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
const limit = (value) => (value ? Number(value) : null);

export function Settings({ org, onOrgChanged }) {
  const action = useAction();
  const s = org.settings;
  const submit = async (event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const settings = {
      seat_limit: limit(v.seat_limit),
      max_pending_invitations: limit(v.max_pending_invitations),
      default_ttl_seconds: Math.round(Number(v.default_ttl_days ?? 7) * 86400),
      allowed_email_domains: domains(v.allowed_email_domains),
      blocked_email_domains: domains(v.blocked_email_domains),
      invitation_confirm: v.invitation_confirm === 'on',
      app_url: v.app_url ?? null,
      locale: v.locale ?? 'en',
    };
    const saved = await action.run(
      () => api.patch('/v1/organizations/{org_id}', { path: { org_id: org.id } }, { name: v.name, settings }),
      t('saved'),
    );
    if (saved) onOrgChanged();
  };
  return html`
    <${Heading}>${t('nav.settings')}</${Heading}>
    <form class="card" onSubmit=${submit}>
      <label>${t('settings.name')}<input name="name" required maxlength="200" value=${org.name} /></label>
      <div class="filters">
        <label>${t('settings.seatLimit')}<input name="seat_limit" type="number" min="1" value=${s.seat_limit ?? ''} /></label>
        <label>${t('settings.pendingLimit')}<input name="max_pending_invitations" type="number" min="1" value=${s.max_pending_invitations ?? ''} /></label>
        <label>${t('settings.defaultTtl')}<input name="default_ttl_days" type="number" min="1" max="30" step="any" value=${s.default_ttl_seconds / 86400} /></label>
        <label>${t('invite.locale')}<select name="locale" value=${s.locale}><option value="en">English</option><option value="fr">Français</option></select></label>
      </div>
      <p class="muted">${t('settings.noLimit')}</p>
      <label>${t('settings.allowed')}<textarea name="allowed_email_domains">${s.allowed_email_domains.join('\n')}</textarea></label>
      <label>${t('settings.blocked')}<textarea name="blocked_email_domains">${s.blocked_email_domains.join('\n')}</textarea></label>
      <label>${t('settings.appUrl')}<input name="app_url" type="url" value=${s.app_url ?? ''} /></label>
      <label class="inline"><input type="checkbox" name="invitation_confirm" checked=${s.invitation_confirm} />${t('settings.confirm')}</label>
      <${Notice} error=${action.error} ok=${action.ok} />
      <div class="actions"><button class="primary" type="submit" disabled=${action.busy}>${t('save')}</button></div>
    </form>`;
}
