import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { OnceSecret } from '../lib/copy.js';
import { formatDate, t } from '../lib/i18n.js';
import { Badge, formValues, Heading, html, Loading, Notice, toIso, useAction, useLoad } from '../lib/ui.js';

/** The body of a new link from the form: a role, or a resource with actions, and its limits. */
function linkBody(v, target) {
  const body = {
    max_uses: v.max_uses ? Number(v.max_uses) : undefined,
    expire_time: toIso(v.expires, true),
    allowed_domain: v.allowed_domain,
    requires_approval: v.requires_approval === 'on',
    description: v.description,
  };
  if (target === 'resource') {
    body.resource_id = v.resource_id;
    body.actions = (v.actions ?? '').split(/[\s,;]+/).filter(Boolean);
  } else if (v.role) body.role = v.role;
  return body;
}

const targetOf = (link) =>
  link.resource_id ? `${link.resource_id}: ${(link.actions ?? []).join(', ')}` : link.role;

const nameOf = (link) => link.description ?? link.id;

function NewLink({ org, onCreated, action }) {
  const [target, setTarget] = useState('organization');
  const create = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const link = await action.run(() =>
      api.post(
        '/v1/organizations/{org_id}/join-links',
        { path: { org_id: org.id } },
        linkBody(formValues(form), target),
      ),
    );
    if (link) {
      form.reset();
      onCreated(link);
    }
  };
  return html`<form class="card" onSubmit=${create} aria-labelledby="new-link">
    <h2 id="new-link">${t('jl.new')}</h2>
    <fieldset><legend>${t('invite.target')}</legend>
      <label class="inline"><input type="radio" name="target" value="organization" checked=${target === 'organization'} onChange=${() => setTarget('organization')} />${t('target.organization')}</label>
      <label class="inline"><input type="radio" name="target" value="resource" checked=${target === 'resource'} onChange=${() => setTarget('resource')} />${t('target.resource')}</label>
    </fieldset>
    <div class="filters">
      ${
        target === 'organization'
          ? html`<label>${t('inv.role')}<select name="role"><option value="">${t('invite.defaultRole', org.settings.default_role)}</option>
            ${org.settings.roles.map((r) => html`<option value=${r.name}>${r.name}</option>`)}</select></label>`
          : html`<label>${t('invite.resource')}<input name="resource_id" required /></label>
            <label>${t('invite.actions')}<input name="actions" required /></label>`
      }
      <label>${t('jl.maxUses')}<input name="max_uses" type="number" min="1" /></label>
      <label>${t('jl.expires')}<input name="expires" type="date" /></label>
      <label>${t('jl.allowedDomain')}<input name="allowed_domain" placeholder="example.com" /></label>
    </div>
    <label>${t('description')}<input name="description" maxlength="500" /></label>
    <label class="inline"><input type="checkbox" name="requires_approval" />${t('jl.requiresApproval')}</label>
    <div class="actions"><button class="primary" type="submit" disabled=${action.busy}>${t('jl.create')}</button></div>
  </form>`;
}

function Uses({ org, link }) {
  const state = useLoad(
    () =>
      api.get('/v1/organizations/{org_id}/join-links/{join_link_id}/uses', {
        path: { org_id: org.id, join_link_id: link.id },
        query: { page_size: 100 },
      }),
    [org.id, link.id],
  );
  const uses = state.data?.join_requests ?? [];
  return html`<div class="card">
    <h3>${t('jl.usesOf', nameOf(link))}</h3>
    <${Loading} state=${state} />
    ${state.data && uses.length === 0 && html`<p class="muted">${t('jl.noUses')}</p>`}
    <ul>${uses.map(
      (u) =>
        html`<li><span class="email">${u.email ?? u.user_id}</span> <${Badge} value=${u.status} label=${t(`jr.status.${u.status}`)} /> <span class="muted">${formatDate(u.create_time)}</span></li>`,
    )}</ul>
  </div>`;
}

function LinkRow({ link, busy, onRotate, onRevoke, onUses, showingUses }) {
  const open = link.status === 'active' || link.status === 'exhausted';
  return html`<tr>
    <td>${nameOf(link)}</td>
    <td>${targetOf(link)}</td>
    <td><${Badge} value=${link.status} label=${t(`jl.status.${link.status}`)} /></td>
    <td>${link.max_uses ? `${link.use_count} / ${link.max_uses}` : `${link.use_count} / ∞`}</td>
    <td class="hide-narrow">${formatDate(link.expire_time)}</td>
    <td>${link.allowed_domain ?? t('any')}</td>
    <td>${link.requires_approval ? t('yes') : t('no')}</td>
    <td class="hide-narrow">${formatDate(link.last_use_time)}</td>
    <td><div class="actions">
      <button type="button" aria-expanded=${showingUses} aria-label=${t('jl.usesWho', nameOf(link))} onClick=${() => onUses(link)}>${t('jl.uses')}</button>
      ${
        open &&
        html`<button type="button" disabled=${busy} aria-label=${t('jl.rotateWho', nameOf(link))} onClick=${() => onRotate(link)}>${t('jl.rotate')}</button>
        <button type="button" class="danger" disabled=${busy} aria-label=${t('jl.revokeWho', nameOf(link))} onClick=${() => onRevoke(link)}>${t('jl.revoke')}</button>`
      }
      ${link.revoke_time && html`<span class="muted">${t('keys.revokedOn', formatDate(link.revoke_time))}</span>`}
    </div></td>
  </tr>`;
}

export function JoinLinks({ org }) {
  const action = useAction();
  const [shown, setShown] = useState(null);
  const [usesOf, setUsesOf] = useState(null);
  const [pages, setPages] = useState([undefined]);
  const pageToken = pages[pages.length - 1];
  const state = useLoad(
    () =>
      api.get('/v1/organizations/{org_id}/join-links', {
        path: { org_id: org.id },
        query: { page_size: 50, ...(pageToken ? { page_token: pageToken } : {}) },
      }),
    [org.id, pageToken],
  );
  const path = (link) => ({ path: { org_id: org.id, join_link_id: link.id } });
  const rotate = async (link) => {
    if (!confirm(t('jl.confirmRotate', nameOf(link)))) return;
    const rotated = await action.run(
      () => api.post('/v1/organizations/{org_id}/join-links/{join_link_id}/rotate', path(link)),
      t('jl.rotated', nameOf(link)),
    );
    if (rotated) {
      setShown(rotated);
      state.reload();
    }
  };
  const revoke = async (link) => {
    if (!confirm(t('jl.confirmRevoke', nameOf(link)))) return;
    if (
      await action.run(
        () => api.post('/v1/organizations/{org_id}/join-links/{join_link_id}/revoke', path(link)),
        t('jl.revoked', nameOf(link)),
      )
    ) {
      setShown(null);
      state.reload();
    }
  };
  const links = state.data?.join_links ?? [];
  return html`
    <${Heading}>${t('nav.join-links')}</${Heading}>
    <p class="muted">${t('jl.intro')}</p>
    <${NewLink} org=${org} action=${action} onCreated=${(link) => {
      setShown(link);
      state.reload();
    }} />
    ${
      shown &&
      html`<${OnceSecret} key=${shown.token} label=${t('jl.tokenOnce', nameOf(shown))} value=${shown.url} hint=${t('jl.howToJoin', shown.token)} />`
    }
    <${Notice} error=${action.error} ok=${action.ok} />
    <${Loading} state=${state} />
    ${state.data && links.length === 0 && html`<p class="muted">${t('jl.empty')}</p>`}
    ${
      links.length > 0 &&
      html`<div class="table-wrap"><table>
      <caption class="visually-hidden">${t('nav.join-links')}</caption>
      <thead><tr><th scope="col">${t('description')}</th><th scope="col">${t('inv.roleOrResource')}</th><th scope="col">${t('inv.status')}</th>
        <th scope="col">${t('jl.usesCount')}</th><th scope="col" class="hide-narrow">${t('inv.expires')}</th><th scope="col">${t('jl.allowedDomain')}</th>
        <th scope="col">${t('jl.approval')}</th><th scope="col" class="hide-narrow">${t('keys.lastUsed')}</th><th scope="col"><span class="visually-hidden">${t('actions')}</span></th></tr></thead>
      <tbody>${links.map(
        (link) =>
          html`<${LinkRow} key=${link.id} link=${link} busy=${action.busy} onRotate=${rotate} onRevoke=${revoke}
            showingUses=${usesOf?.id === link.id} onUses=${(l) => setUsesOf(usesOf?.id === l.id ? null : l)} />`,
      )}</tbody>
    </table></div>`
    }
    <nav class="actions" aria-label=${t('pagination')}>
      ${pages.length > 1 && html`<button type="button" onClick=${() => setPages(pages.slice(0, -1))}>${t('previous')}</button>`}
      ${state.data?.next_page_token && html`<button type="button" onClick=${() => setPages([...pages, state.data.next_page_token])}>${t('next')}</button>`}
    </nav>
    ${usesOf && html`<${Uses} key=${usesOf.id} org=${org} link=${usesOf} />`}`;
}
