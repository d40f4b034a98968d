import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { explain, formatDate, t } from '../lib/i18n.js';
import { Badge, Heading, html, Loading, Notice, useLoad } from '../lib/ui.js';

const STATUSES = ['pending', 'approved', 'rejected', 'joined'];

const who = (r) => (r.display_name ? `${r.display_name} <${r.email}>` : (r.email ?? r.user_id));
const via = (r) => (r.source === 'domain' ? t('jr.viaDomain', r.domain) : t('jr.viaLink', r.join_link_id));

/** What happened to one request of a decision: the new status, or the refusal as a sentence. */
function Outcome({ result }) {
  if (!result) return null;
  if (result.join_request)
    return html`<${Badge} value=${result.join_request.status} label=${t(`jr.status.${result.join_request.status}`)} />`;
  return html`<span class="badge failed">${t('jr.notDecided')}</span> ${explain({ problem: result.error })}`;
}

export function JoinRequests({ org }) {
  const [status, setStatus] = useState('pending');
  const [selected, setSelected] = useState(new Set());
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState({ results: {} });
  const state = useLoad(
    () =>
      api.get('/v1/organizations/{org_id}/join-requests', {
        path: { org_id: org.id },
        query: { page_size: 100, ...(status ? { status: [status] } : {}) },
      }),
    [org.id, status],
  );
  const requests = state.data?.join_requests ?? [];
  const toggle = (id) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const decide = async (verb, ids) => {
    setOutcome({ busy: true, results: {} });
    try {
      const answer = await api.post(
        `/v1/organizations/{org_id}/join-requests/${verb}`,
        { path: { org_id: org.id } },
        { ids, ...(note.trim() ? { reason: note.trim() } : {}) },
      );
      const results = Object.fromEntries(answer.results.map((r) => [r.id, r]));
      const rows = requests.filter((r) => ids.includes(r.id));
      setOutcome({ results, rows, ok: t(`jr.${verb}.done`, answer.decided, answer.failed) });
      setSelected(new Set());
      state.reload();
    } catch (error) {
      setOutcome({ results: {}, error: explain(error) });
    }
  };
  const pending = requests.filter((r) => r.status === 'pending');
  const decidable = [...selected].filter((id) => pending.some((r) => r.id === id));
  return html`
    <${Heading}>${t('nav.join-requests')}</${Heading}>
    <div class="card filters">
      <label>${t('inv.status')}<select value=${status} onChange=${(e) => {
        setStatus(e.currentTarget.value);
        setSelected(new Set());
      }}>
        <option value="">${t('any')}</option>
        ${STATUSES.map((s) => html`<option value=${s}>${t(`jr.status.${s}`)}</option>`)}
      </select></label>
      <label>${t('jr.note')}<input value=${note} maxlength="500" onInput=${(e) => setNote(e.currentTarget.value)} /></label>
    </div>
    <div class="actions" role="group" aria-label=${t('jr.selected')}>
      <button type="button" class="primary" disabled=${outcome.busy || !decidable.length} onClick=${() => decide('approve', decidable)}>${t('jr.approveSelected', decidable.length)}</button>
      <button type="button" class="danger" disabled=${outcome.busy || !decidable.length} onClick=${() => decide('reject', decidable)}>${t('jr.rejectSelected', decidable.length)}</button>
      <button type="button" onClick=${state.reload}>${t('refresh')}</button>
    </div>
    <${Notice} error=${outcome.error} ok=${outcome.ok} />
    ${
      outcome.rows?.length > 0 &&
      html`<h2 id="decided-title">${t('invite.results')}</h2>
      <ul aria-labelledby="decided-title">${outcome.rows.map(
        (r) =>
          html`<li><span class="email">${who(r)}</span>: <${Outcome} result=${outcome.results[r.id]} /></li>`,
      )}</ul>`
    }
    <${Loading} state=${state} />
    ${state.data && requests.length === 0 && html`<p class="muted">${t('jr.empty')}</p>`}
    ${
      requests.length > 0 &&
      html`<div class="table-wrap"><table>
      <caption class="visually-hidden">${t('nav.join-requests')}</caption>
      <thead><tr><th scope="col"><span class="visually-hidden">${t('select')}</span></th><th scope="col">${t('jr.who')}</th>
        <th scope="col">${t('inv.roleOrResource')}</th><th scope="col">${t('jr.via')}</th><th scope="col">${t('inv.status')}</th>
        <th scope="col" class="hide-narrow">${t('inv.created')}</th><th scope="col">${t('jr.decision')}</th><th scope="col"><span class="visually-hidden">${t('actions')}</span></th></tr></thead>
      <tbody>${requests.map(
        (r) => html`<tr key=${r.id}>
          <td>${r.status === 'pending' && html`<input type="checkbox" aria-label=${t('selectRow', r.email ?? r.user_id)} checked=${selected.has(r.id)} onChange=${() => toggle(r.id)} />`}</td>
          <td class="email">${who(r)}</td>
          <td>${r.resource_id ? `${r.resource_id}: ${(r.actions ?? []).join(', ')}` : r.role}</td>
          <td>${via(r)}</td>
          <td><${Badge} value=${r.status} label=${t(`jr.status.${r.status}`)} /></td>
          <td class="hide-narrow">${formatDate(r.create_time)}</td>
          <td>${r.decide_time ? formatDate(r.decide_time) : '—'}${r.reason && html`<br /><span class="muted">${r.reason}</span>`}</td>
          <td>${
            r.status === 'pending' &&
            html`<div class="actions">
            <button type="button" disabled=${outcome.busy} aria-label=${t('jr.approveWho', r.email ?? r.user_id)} onClick=${() => decide('approve', [r.id])}>${t('jr.approve')}</button>
            <button type="button" class="danger" disabled=${outcome.busy} aria-label=${t('jr.rejectWho', r.email ?? r.user_id)} onClick=${() => decide('reject', [r.id])}>${t('jr.reject')}</button>
          </div>`
          }</td>
        </tr>`,
      )}</tbody>
    </table></div>`
    }`;
}
