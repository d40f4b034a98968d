import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { csvColumns, invitationRows } from '../lib/csv.js';
import { languageName, useEmailLanguages } from '../lib/email-languages.js';
import { explain, t } from '../lib/i18n.js';
import { batches, pointedRow, rowProblems } from '../lib/invite-check.js';
import { formValues, Heading, html, Notice } from '../lib/ui.js';

const clean = (object) =>
  Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && v !== ''));

/** `res_1: read, write` per line: the resources a combined invitation also grants. */
function grantsFrom(text) {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (!lines.length) return undefined;
  return lines.map((line) => {
    const [resource_id, actions = ''] = line.split(':');
    return { resource_id: resource_id.trim(), actions: actions.split(/[\s,;]+/).filter(Boolean) };
  });
}

/** A JSON object typed in the form; a typing mistake is reported before anything is sent. */
function jsonFrom(text, field) {
  if (!text?.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(field);
  }
}

/**
 * The rows to send, each with the line it is known by (the CSV's file line, else its position
 * among the typed addresses) and, merged with the form's shared settings, what the API would refuse.
 */
function rowsFrom(values, csvRows, rules) {
  const shared = clean({
    role: values.target === 'resource' ? undefined : values.role,
    resource_id: values.target === 'resource' ? values.resource_id : undefined,
    actions: values.target === 'resource' ? values.actions?.split(/[\s,;]+/).filter(Boolean) : undefined,
    message: values.message,
    locale: values.locale,
    ttl_seconds: values.days ? Math.round(Number(values.days) * 86400) : undefined,
    redirect_url: values.redirect_url,
    grants: values.target === 'resource' ? undefined : grantsFrom(values.grants),
    public_metadata: jsonFrom(values.public_metadata, 'public_metadata'),
    private_metadata: jsonFrom(values.private_metadata, 'private_metadata'),
  });
  const entries = csvRows
    ? csvRows.map(({ line, row, loose }) => ({ line, loose, row: { ...shared, ...clean(row) } }))
    : (values.emails ?? '')
        .split(/[\n,;]+/)
        .map((e) => e.trim())
        .filter(Boolean)
        .map((email, index) => ({ line: index + 1, row: { ...shared, email } }));
  // Typed addresses go as they are: the API answers each row, as it always did.
  if (!csvRows) return entries.map((entry) => ({ ...entry, problems: [] }));
  return entries.map((entry) => ({
    ...entry,
    problems: rowProblems(entry.row, { ...rules, loose: entry.loose }),
  }));
}

/** One batch; a 400 naming rows (`/invitations/N/…`) fails those rows and sends the others again. */
async function sendBatch(org, entries, sendEmail) {
  const post = (group) =>
    api.post(
      '/v1/organizations/{org_id}/invitations/batch',
      { path: { org_id: org.id } },
      { invitations: group.map((e) => e.row), send_email: sendEmail },
    );
  const outcome = (group, answer) =>
    answer.results.map((r) => ({
      line: group[r.index].line,
      email: group[r.index].row.email,
      invitation: r.invitation,
      error: r.error ? explain({ problem: r.error }) : undefined,
    }));
  try {
    return outcome(entries, await post(entries));
  } catch (error) {
    const pointed = new Map();
    for (const e of error?.problem?.errors ?? []) {
      const at = pointedRow(e.pointer);
      if (at !== undefined && entries[at]) pointed.set(at, [...(pointed.get(at) ?? []), e.detail]);
    }
    const failed = (entry, message) => ({ line: entry.line, email: entry.row.email, error: message });
    if (error?.status === 429 && error.problem?.code === 'inviter_limit_reached') {
      // Send what still fits under the inviter's daily limit; the rest wait for the window.
      const fits = Math.min(Number(error.problem.remaining) || 0, entries.length - 1);
      const later = (entry) =>
        failed(entry, t('invite.inviterLimit', error.problem.limit, error.problem.retry_after_seconds));
      const sent = fits > 0 ? await sendBatch(org, entries.slice(0, fits), sendEmail) : [];
      return [...sent, ...entries.slice(fits).map(later)];
    }
    if (error?.status !== 400 || pointed.size === 0) return entries.map((e) => failed(e, explain(error)));
    const rest = entries.filter((_, i) => !pointed.has(i));
    const refused = [...pointed].map(([i, details]) =>
      failed(entries[i], `${explain(error)} (${details.join('; ')})`),
    );
    const again = rest.length ? await sendBatch(org, rest, sendEmail) : [];
    return [...refused, ...again].sort((a, b) => a.line - b.line);
  }
}

function Results({ results }) {
  return html`<h2 id="results-title">${t('invite.results')}</h2>
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="results-title"><table aria-labelledby="results-title">
      <thead><tr><th scope="col">${t('invite.line')}</th><th scope="col">${t('inv.email')}</th><th scope="col">${t('invite.result')}</th></tr></thead>
      <tbody>${results.map(
        (r) => html`<tr>
          <td>${r.line}</td><td class="email">${r.email}</td>
          <td>${
            r.invitation
              ? html`<span class="badge sent">${t('invite.invited')}</span> <a href=${`#/invitations/${r.invitation.id}`}>${r.invitation.id}</a>
                ${r.invitation.accept_url && html`<p class="secret">${r.invitation.accept_url}</p>`}`
              : html`<span class="badge failed">${t('invite.failed')}</span> ${r.error}`
          }</td>
        </tr>`,
      )}</tbody>
    </table></div>`;
}

export function Invite({ org }) {
  const [target, setTarget] = useState('organization');
  const [csv, setCsv] = useState(null);
  const [outcome, setOutcome] = useState({});
  const onFile = async (event) => {
    const file = event.currentTarget.files?.[0];
    const text = file ? await file.text() : '';
    setCsv(file ? { name: file.name, rows: invitationRows(text), columns: csvColumns(text) } : null);
    // A new file starts afresh: the last import's summary and rows are not this file's.
    setOutcome({});
  };
  const languages = useEmailLanguages(org.id);
  const rules = { roles: org.settings.roles, locales: languages.loaded };
  const preview = (csv?.rows ?? []).map((r) => ({
    ...r,
    problems: rowProblems(r.row, { ...rules, loose: r.loose }),
  }));
  const submit = async (event) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    let entries;
    try {
      entries = rowsFrom(values, csv?.rows, rules);
    } catch (error) {
      return setOutcome({ error: `${error.message}: JSON` });
    }
    if (!entries.length) return setOutcome({ error: t('invite.noAddress') });
    const sendable = entries.filter((e) => e.problems.length === 0);
    const skipped = entries.length - sendable.length;
    if (!sendable.length) return setOutcome({ error: t('invite.allInvalid') });
    const results = [];
    for (const group of batches(sendable)) {
      setOutcome({ busy: true, ok: t('invite.sending', results.length, sendable.length) });
      results.push(...(await sendBatch(org, group, values.copy_link !== 'on')));
    }
    const failed = results.filter((r) => !r.invitation).length;
    setOutcome({ results, ok: t('invite.summaryRows', results.length - failed, failed, skipped) });
  };
  return html`
    <${Heading}>${t('nav.invite')}</${Heading}>
    <form class="card" onSubmit=${submit}>
      <fieldset><legend>${t('invite.target')}</legend>
        <label class="inline"><input type="radio" name="target" value="organization" checked=${target === 'organization'} onChange=${() => setTarget('organization')} />${t('target.organization')}</label>
        <label class="inline"><input type="radio" name="target" value="resource" checked=${target === 'resource'} onChange=${() => setTarget('resource')} />${t('target.resource')}</label>
      </fieldset>
      ${
        !csv &&
        html`<label>${t('invite.emails')}<textarea name="emails" aria-describedby="emails-hint"></textarea></label>
        <p id="emails-hint" class="muted">${t('invite.emailsHint')}</p>`
      }
      <div class="filters">
        ${
          target === 'organization'
            ? html`<label>${t('inv.role')}<select name="role"><option value="">${t('invite.defaultRole', org.settings.default_role)}</option>
              ${org.settings.roles.map((r) => html`<option value=${r.name}>${r.name}</option>`)}</select></label>`
            : html`<label>${t('invite.resource')}<input name="resource_id" required /></label>
              <label>${t('invite.actions')}<input name="actions" required /></label>`
        }
        <label>${t('invite.locale')}<select name="locale"><option value="">${t('invite.orgLocale')}</option>${languages.offered.map((l) => html`<option value=${l}>${languageName(l)}</option>`)}</select></label>
        <label>${t('inv.expiresInDays')}<input name="days" type="number" min="1" max="30" /></label>
      </div>
      <label>${t('inv.message')}<textarea name="message" maxlength="2000"></textarea></label>
      <details><summary>grants · metadata · redirect_url</summary>
        ${target === 'organization' && html`<label>grants (<code>res_…: read, write</code>)<textarea name="grants"></textarea></label>`}
        <label>public_metadata (JSON)<textarea name="public_metadata"></textarea></label>
        <label>private_metadata (JSON)<textarea name="private_metadata"></textarea></label>
        <label>redirect_url<input name="redirect_url" type="url" /></label>
      </details>
      <label class="inline"><input type="checkbox" name="copy_link" />${t('invite.copyLink')}</label>
      <label>${t('invite.csv')}<input type="file" accept=".csv,text/csv" onChange=${onFile} /></label>
      ${
        csv &&
        html`<h2 id="preview-title">${t('invite.preview', csv.name, csv.rows.length)}</h2>
        ${csv.rows.length === 0 && html`<p class="notice error" role="alert">${t('invite.csvEmpty')}</p>`}
        ${csv.rows.length > 0 && !csv.columns.includes('email') && html`<p class="notice error" role="alert">${t('invite.csvNoEmail', csv.columns.join(', '))}</p>`}
        ${preview.some((r) => r.problems.length) && html`<p class="notice error">${t('invite.skipped', preview.filter((r) => r.problems.length).length)}</p>`}
        <div class="table-wrap" tabindex="0" role="region" aria-labelledby="preview-title"><table aria-labelledby="preview-title">
          <thead><tr><th scope="col">${t('invite.line')}</th><th scope="col">${t('inv.email')}</th><th scope="col">${t('inv.role')}</th><th scope="col">${t('invite.check')}</th></tr></thead>
          <tbody>${preview.map(
            (
              r,
            ) => html`<tr><td>${r.line}</td><td class="email">${r.row.email}</td><td>${r.row.role ?? r.row.resource_id ?? ''}</td>
            <td>${r.problems.length ? html`<span class="badge failed">${t('invite.failed')}</span> ${r.problems.join('; ')}` : t('invite.ready')}</td></tr>`,
          )}</tbody>
        </table></div>
        <button type="button" onClick=${() => setCsv(null)}>${t('invite.clearCsv')}</button>`
      }
      <${Notice} error=${outcome.error} ok=${outcome.ok} />
      <div class="actions"><button class="primary" type="submit" disabled=${outcome.busy}>${t('invite.send')}</button></div>
    </form>
    ${outcome.results && html`<${Results} results=${outcome.results} />`}`;
}
