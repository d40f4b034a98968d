import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { invitationRows } from '../lib/csv.js';
import { explain, t } from '../lib/i18n.js';
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

/** The rows to send: one per address typed, or the CSV's rows, with the form's shared settings. */
function rowsFrom(values, csvRows) {
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
  if (csvRows) return csvRows.map(({ row }) => ({ ...shared, ...clean(row) }));
  const emails = (values.emails ?? '')
    .split(/[\n,;]+/)
    .map((e) => e.trim())
    .filter(Boolean);
  return emails.map((email) => ({ ...shared, email }));
}

function Results({ rows, results }) {
  return html`<h2 id="results-title">${t('invite.results')}</h2>
    <div class="table-wrap"><table aria-labelledby="results-title">
      <thead><tr><th scope="col">#</th><th scope="col">${t('inv.email')}</th><th scope="col">${t('invite.result')}</th></tr></thead>
      <tbody>${results.map(
        (r) => html`<tr>
          <td>${r.index + 1}</td><td class="email">${rows[r.index]?.email}</td>
          <td>${
            r.invitation
              ? html`<span class="badge sent">${t('invite.invited')}</span> <a href=${`#/invitations/${r.invitation.id}`}>${r.invitation.id}</a>
                ${r.invitation.accept_url && html`<p class="secret">${r.invitation.accept_url}</p>`}`
              : html`<span class="badge failed">${t('invite.failed')}</span> ${explain({ problem: r.error })}`
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
    setCsv(file ? { name: file.name, rows: invitationRows(await file.text()) } : null);
  };
  const submit = async (event) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    let rows;
    try {
      rows = rowsFrom(values, csv?.rows);
    } catch (error) {
      return setOutcome({ error: `${error.message}: JSON` });
    }
    if (!rows.length) return setOutcome({ error: t('invite.noAddress') });
    if (csv?.rows.some((r) => r.problem)) return setOutcome({ error: t('invite.fixCsv') });
    setOutcome({ busy: true });
    try {
      const result = await api.post(
        '/v1/organizations/{org_id}/invitations/batch',
        { path: { org_id: org.id } },
        {
          invitations: rows,
          send_email: values.copy_link !== 'on',
        },
      );
      const failed = result.results.filter((r) => r.error).length;
      setOutcome({ rows, results: result.results, ok: t('invite.summary', rows.length - failed, failed) });
    } catch (error) {
      setOutcome({ error: explain(error) });
    }
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
        <label>${t('invite.locale')}<select name="locale"><option value="">${t('invite.orgLocale')}</option><option value="en">English</option><option value="fr">Français</option></select></label>
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
        <div class="table-wrap"><table aria-labelledby="preview-title">
          <thead><tr><th scope="col">${t('invite.line')}</th><th scope="col">${t('inv.email')}</th><th scope="col">${t('inv.role')}</th><th scope="col">${t('invite.check')}</th></tr></thead>
          <tbody>${csv.rows.map(
            (
              r,
            ) => html`<tr><td>${r.line}</td><td class="email">${r.row.email}</td><td>${r.row.role ?? r.row.resource_id ?? ''}</td>
            <td>${r.problem ? html`<span class="badge failed">${t('invite.noEmail')}</span>` : t('invite.ready')}</td></tr>`,
          )}</tbody>
        </table></div>
        <button type="button" onClick=${() => setCsv(null)}>${t('invite.clearCsv')}</button>`
      }
      <${Notice} error=${outcome.error} ok=${outcome.ok} />
      <div class="actions"><button class="primary" type="submit" disabled=${outcome.busy}>${t('invite.send')}</button></div>
    </form>
    ${outcome.results && html`<${Results} rows=${outcome.rows} results=${outcome.results} />`}`;
}
