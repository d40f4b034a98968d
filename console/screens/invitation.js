import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { actorOf, Badge, formValues, Heading, html, Loading, Notice, useAction, useLoad } from '../lib/ui.js';

/** One line of the timeline: what happened, when, by whom, and what the mail server answered. */
function TimelineEntry({ event }) {
  const details = Object.entries(event.data ?? {}).filter(([k]) => !['message_id'].includes(k));
  return html`<li>
    <strong>${t(`event.${event.type}`)}</strong> <span class="muted">${formatDate(event.create_time)}</span>
    ${event.actor_user_id && html` · <span class="muted">${t('by', actorOf(event))}</span>`}
    ${
      details.length > 0 &&
      html`<dl class="facts">${details.map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>`)}</dl>`
    }
  </li>`;
}

function Edit({ org, invitation, onSaved }) {
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    const body = {};
    if (invitation.target_type === 'organization' && values.role && values.role !== invitation.role)
      body.role = values.role;
    if (values.days) body.ttl_seconds = Math.round(Number(values.days) * 86400);
    if (!Object.keys(body).length) return;
    const saved = await action.run(
      () =>
        api.patch(
          '/v1/organizations/{org_id}/invitations/{invitation_id}',
          { path: { org_id: org.id, invitation_id: invitation.id } },
          body,
        ),
      t('saved'),
    );
    if (saved) onSaved();
  };
  return html`<form class="card" onSubmit=${submit} aria-labelledby="edit-title">
    <h2 id="edit-title">${t('inv.edit')}</h2>
    <div class="filters">
      ${
        invitation.target_type === 'organization' &&
        html`<label>${t('inv.role')}<select name="role" value=${invitation.role}>
        ${org.settings.roles.map((r) => html`<option value=${r.name}>${r.name}</option>`)}</select></label>`
      }
      <label>${t('inv.expiresInDays')}<input name="days" type="number" min="1" max="30" step="1" /></label>
    </div>
    <${Notice} error=${action.error} ok=${action.ok} />
    <button type="submit" disabled=${action.busy}>${t('save')}</button>
  </form>`;
}

export function Invitation({ org, id }) {
  const action = useAction();
  const [link, setLink] = useState(null);
  const state = useLoad(async () => {
    const path = { org_id: org.id, invitation_id: id };
    const [invitation, events] = await Promise.all([
      api.get('/v1/organizations/{org_id}/invitations/{invitation_id}', { path }),
      api.get('/v1/events', { query: { organization_id: org.id, invitation_id: id, page_size: 100 } }),
    ]);
    return { invitation, events: events.events };
  }, [org.id, id]);
  const act = async (verb, body, ok) => {
    const done = await action.run(
      () =>
        api.post(
          `/v1/organizations/{org_id}/invitations/{invitation_id}/${verb}`,
          { path: { org_id: org.id, invitation_id: id } },
          body,
        ),
      ok,
    );
    if (done?.accept_url) setLink(done.accept_url);
    if (done) state.reload();
  };
  const invitation = state.data?.invitation;
  return html`
    <p><a href="#/invitations">${t('back')}</a></p>
    <${Heading}>${invitation ? invitation.email : t('inv.detail')}</${Heading}>
    <${Loading} state=${state} />
    ${
      invitation &&
      html`<div class="card"><dl class="facts">
      <dt>${t('inv.status')}</dt><dd><${Badge} value=${invitation.status} label=${t(`status.${invitation.status}`)} /></dd>
      <dt>${t('inv.roleOrResource')}</dt><dd>${invitation.target_type === 'resource' ? `${invitation.resource_id} (${(invitation.actions ?? []).join(', ')})` : invitation.role}${(invitation.grants ?? []).map((g) => html`<br />+ ${g.resource_id} (${g.actions.join(', ')})`)}</dd>
      <dt>${t('inv.delivery_state')}</dt><dd><${Badge} value=${invitation.delivery_state} label=${t(`delivery.${invitation.delivery_state}`)} />${invitation.delivery_error ? ` — ${invitation.delivery_error}` : ''}</dd>
      <dt>${t('inv.sends')}</dt><dd>${invitation.send_count}</dd>
      <dt>${t('inv.created')}</dt><dd>${formatDate(invitation.create_time)}</dd>
      <dt>${t('inv.expires')}</dt><dd>${formatDate(invitation.expire_time)}</dd>
      ${invitation.message && html`<dt>${t('inv.message')}</dt><dd>${invitation.message}</dd>`}
      ${invitation.redirect_url && html`<dt>redirect_url</dt><dd>${invitation.redirect_url}</dd>`}
      ${Object.keys(invitation.public_metadata ?? {}).length > 0 && html`<dt>public_metadata</dt><dd><code>${JSON.stringify(invitation.public_metadata)}</code></dd>`}
      ${Object.keys(invitation.private_metadata ?? {}).length > 0 && html`<dt>private_metadata</dt><dd><code>${JSON.stringify(invitation.private_metadata)}</code></dd>`}
    </dl></div>
    <div class="actions">
      <button type="button" disabled=${action.busy} onClick=${() => act('resend', { send_email: true }, t('inv.resent'))}>${t('inv.resend')}</button>
      <button type="button" disabled=${action.busy} onClick=${() => act('resend', { send_email: false }, t('inv.linkReady'))}>${t('inv.copyLink')}</button>
      <button type="button" class="danger" disabled=${action.busy || invitation.status !== 'pending'} onClick=${() => act('revoke', undefined, t('inv.revoked'))}>${t('inv.revoke')}</button>
    </div>
    <${Notice} error=${action.error} ok=${action.ok} />
    ${link && html`<p>${t('inv.linkOnce')}</p><p class="secret">${link}</p>`}
    ${invitation.status === 'pending' && html`<${Edit} org=${org} invitation=${invitation} onSaved=${state.reload} />`}
    <h2>${t('inv.timeline')}</h2>
    <ol class="timeline">${state.data.events.map((e) => html`<${TimelineEntry} event=${e} />`)}</ol>`
    }`;
}
