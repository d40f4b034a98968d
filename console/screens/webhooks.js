import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { formatDate, t } from '../lib/i18n.js';
import { Badge, formValues, Heading, html, Loading, Notice, useAction, useLoad } from '../lib/ui.js';

const EVENT_TYPES = [
  'invitation.created',
  'invitation.sent',
  'invitation.delivery_failed',
  'invitation.resent',
  'invitation.accepted',
  'invitation.declined',
  'invitation.revoked',
  'invitation.expired',
  'membership.created',
];

const Secret = ({ secret }) =>
  secret &&
  html`<div class="card" role="status"><p>${t('webhooks.secretOnce')}</p><p class="secret">${secret}</p></div>`;

export function Webhooks({ org }) {
  const action = useAction();
  const [secret, setSecret] = useState(null);
  const state = useLoad(
    () => api.get('/v1/organizations/{org_id}/webhooks', { path: { org_id: org.id } }),
    [org.id],
  );
  const create = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const v = formValues(form);
    const endpoint = await action.run(() =>
      api.post(
        '/v1/organizations/{org_id}/webhooks',
        { path: { org_id: org.id } },
        {
          url: v.url ?? '',
          description: v.description,
          event_types: v.event_type ? [].concat(v.event_type) : [],
        },
      ),
    );
    if (endpoint) {
      setSecret(endpoint.secret);
      form.reset();
      state.reload();
    }
  };
  return html`
    <${Heading}>${t('nav.webhooks')}</${Heading}>
    <form class="card" onSubmit=${create} aria-labelledby="new-webhook">
      <h2 id="new-webhook">${t('webhooks.new')}</h2>
      <label>${t('webhooks.url')}<input name="url" type="url" required /></label>
      <label>${t('description')}<input name="description" maxlength="500" /></label>
      <fieldset><legend>${t('webhooks.events')}</legend>
        ${EVENT_TYPES.map((e) => html`<label class="inline"><input type="checkbox" name="event_type" value=${e} checked />${e}</label>`)}
      </fieldset>
      <button class="primary" type="submit" disabled=${action.busy}>${t('webhooks.create')}</button>
    </form>
    <${Secret} secret=${secret} />
    <${Notice} error=${action.error} ok=${action.ok} />
    <${Loading} state=${state} />
    <ul>${(state.data?.endpoints ?? []).map(
      (e) =>
        html`<li><a href=${`#/webhooks/${e.id}`}>${e.url}</a> ${e.enabled ? '' : html`<span class="muted">(${t('webhooks.disabled')})</span>`} <span class="muted">${e.event_types.length} ${t('webhooks.eventCount')}</span></li>`,
    )}</ul>`;
}

function Delivery({ delivery, onRetry, busy }) {
  return html`<li>
    <strong>${delivery.event_type}</strong> <${Badge} value=${delivery.status} label=${t(`wstatus.${delivery.status}`)} />
    <span class="muted"> ${formatDate(delivery.create_time)} · ${delivery.id}</span>
    ${delivery.last_error && html`<p class="muted">${delivery.last_error}</p>`}
    <ol>${delivery.attempts.map((a) => html`<li>${formatDate(a.create_time)}: ${a.status_code ?? '—'} ${a.error ?? ''} <span class="muted">(${a.duration_ms} ms)</span></li>`)}</ol>
    ${delivery.status === 'pending' && delivery.next_attempt_time && html`<p class="muted">${t('webhooks.nextAttempt', formatDate(delivery.next_attempt_time))}</p>`}
    ${delivery.status !== 'processing' && html`<button type="button" disabled=${busy} onClick=${() => onRetry(delivery)}>${delivery.status === 'pending' ? t('webhooks.retryNow') : t('webhooks.retry')}</button>`}
  </li>`;
}

export function Webhook({ org, id }) {
  const action = useAction();
  const [secret, setSecret] = useState(null);
  const path = { org_id: org.id, endpoint_id: id };
  // Older deliveries, appended page by page; a reload starts from the newest again.
  const [older, setOlder] = useState({ deliveries: [], next: null });
  const deliveriesPage = (token) =>
    api.get('/v1/organizations/{org_id}/webhooks/{endpoint_id}/deliveries', {
      path,
      query: { page_size: 50, ...(token ? { page_token: token } : {}) },
    });
  const state = useLoad(async () => {
    const [endpoint, log] = await Promise.all([
      api.get('/v1/organizations/{org_id}/webhooks/{endpoint_id}', { path }),
      deliveriesPage(),
    ]);
    setOlder({ deliveries: [], next: log.next_page_token });
    return { endpoint, deliveries: log.deliveries };
  }, [org.id, id]);
  const loadOlder = async () => {
    const log = await action.run(() => deliveriesPage(older.next));
    if (log) setOlder({ deliveries: [...older.deliveries, ...log.deliveries], next: log.next_page_token });
  };
  const test = async () => {
    if (
      await action.run(
        () => api.post('/v1/organizations/{org_id}/webhooks/{endpoint_id}/test', { path }),
        t('webhooks.testQueued'),
      )
    ) {
      setTimeout(state.reload, 1000);
    }
  };
  const update = async (body, ok) => {
    const updated = await action.run(
      () => api.patch('/v1/organizations/{org_id}/webhooks/{endpoint_id}', { path }, body),
      ok,
    );
    if (updated?.secret) setSecret(updated.secret);
    if (updated) state.reload();
  };
  const retry = async (delivery) => {
    if (
      await action.run(
        () =>
          api
            .post('/v1/organizations/{org_id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry', {
              path: { ...path, delivery_id: delivery.id },
            })
            .then(() => true),
        t('webhooks.retried'),
      )
    )
      state.reload();
  };
  const remove = async () => {
    if (!confirm(t('webhooks.confirmDelete'))) return;
    if (
      await action.run(() =>
        api.del('/v1/organizations/{org_id}/webhooks/{endpoint_id}', { path }).then(() => true),
      )
    )
      location.hash = '#/webhooks';
  };
  const endpoint = state.data?.endpoint;
  return html`
    <p><a href="#/webhooks">${t('back')}</a></p>
    <${Heading}>${endpoint?.url ?? t('nav.webhooks')}</${Heading}>
    <${Loading} state=${state} />
    ${
      endpoint &&
      html`
      <p>${endpoint.event_types.join(', ')}</p>
      <div class="actions">
        <button type="button" class="primary" disabled=${action.busy} onClick=${test}>${t('webhooks.test')}</button>
        <button type="button" disabled=${action.busy} onClick=${() => update({ rotate_secret: true }, t('webhooks.rotated'))}>${t('webhooks.rotate')}</button>
        <button type="button" disabled=${action.busy} onClick=${() => update({ enabled: !endpoint.enabled }, t('saved'))}>${endpoint.enabled ? t('webhooks.disable') : t('webhooks.enable')}</button>
        <button type="button" class="danger" disabled=${action.busy} onClick=${remove}>${t('webhooks.delete')}</button>
        <button type="button" onClick=${state.reload}>${t('refresh')}</button>
      </div>
      <${Notice} error=${action.error} ok=${action.ok} />
      <${Secret} secret=${secret} />
      <h2>${t('webhooks.log')}</h2>
      ${state.data.deliveries.length === 0 && html`<p class="muted">${t('webhooks.noDeliveries')}</p>`}
      <ul>${[...state.data.deliveries, ...older.deliveries].map((d) => html`<${Delivery} key=${d.id} delivery=${d} busy=${action.busy} onRetry=${retry} />`)}</ul>
      ${older.next && html`<button type="button" disabled=${action.busy} onClick=${loadOlder}>${t('webhooks.older')}</button>`}`
    }`;
}
