import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, loadSession, whenSessionEnds } from './lib/api.js';
import { currentLocale, LANGUAGE_NAMES, LOCALES, setLocale, t } from './lib/i18n.js';
import { administers, html, Notice } from './lib/ui.js';
import { Audit } from './screens/audit.js';
import { Domains } from './screens/domains.js';
import { Invitation } from './screens/invitation.js';
import { Invitations } from './screens/invitations.js';
import { Invite } from './screens/invite.js';
import { JoinLinks } from './screens/join-links.js';
import { JoinRequests } from './screens/join-requests.js';
import { Keys } from './screens/keys.js';
import { Members } from './screens/members.js';
import { Organizations } from './screens/organizations.js';
import { Resources } from './screens/resources.js';
import { Settings } from './screens/settings.js';
import { SignIn } from './screens/sign-in.js';
import { Templates } from './screens/templates.js';
import { Users } from './screens/users.js';
import { Webhook, Webhooks } from './screens/webhooks.js';

const SCREENS = [
  ['invitations', Invitations],
  ['invite', Invite],
  ['members', Members],
  ['resources', Resources],
  ['settings', Settings],
  ['keys', Keys],
  ['webhooks', Webhooks],
  ['audit', Audit],
  ['join-links', JoinLinks],
  ['join-requests', JoinRequests],
  ['domains', Domains],
  ['templates', Templates],
];

/** What a member who is not an admin can use: the members list and their own API keys. */
const MEMBER_SCREENS = ['members', 'keys'];

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#\/?/, '').split('/');
}

function Shell({ session, onSignOut, signingOut, onLocale }) {
  const [organizations, setOrganizations] = useState(null);
  const [error, setError] = useState(null);
  const [orgId, setOrgId] = useState(localStorage.getItem('rsvp.console.org'));
  const [screen, id] = useHash();
  // Settings and the role catalog change what the header and every screen read from `org`.
  const [nextOrganizations, setNextOrganizations] = useState(null);
  const reloadOrganizations = useCallback(() => {
    api.get('/v1/organizations', { query: { page_size: 100 } }).then(
      (page) => {
        setOrganizations(page.organizations);
        setNextOrganizations(page.next_page_token);
      },
      (failure) => failure?.status !== 401 && setError(t('error.network')),
    );
  }, []);
  // Past the first 100: the next page is appended, for the switcher and the list alike.
  const moreOrganizations = () =>
    api.get('/v1/organizations', { query: { page_size: 100, page_token: nextOrganizations } }).then(
      (page) => {
        setOrganizations((known) => [...(known ?? []), ...page.organizations]);
        setNextOrganizations(page.next_page_token);
      },
      (failure) => failure?.status !== 401 && setError(t('error.network')),
    );
  useEffect(reloadOrganizations, []);
  const orgs = organizations ?? [];
  const org = orgs.find((o) => o.id === orgId || o.slug === orgId) ?? orgs[0];
  const choose = (event) => {
    setOrgId(event.currentTarget.value);
    localStorage.setItem('rsvp.console.org', event.currentTarget.value);
  };
  const admin = org ? administers(session, org) : false;
  const name = screen || (admin ? 'invitations' : 'members');
  let body;
  if (error) body = html`<${Notice} error=${error} />`;
  else if (!organizations) body = html`<p role="status">${t('loading')}</p>`;
  else if (name === 'organizations')
    body = html`<${Organizations} organizations=${orgs} onMore=${nextOrganizations && moreOrganizations} />`;
  else if (name === 'users')
    body = session.user.instance_admin
      ? html`<${Users} />`
      : html`<${Notice} error=${t('users.instanceOnly')} />`;
  else if (!org) body = html`<p>${t('org.none')}</p>`;
  else if (!admin && !MEMBER_SCREENS.includes(name))
    body = html`<${Notice} error=${t('org.adminsOnly', org.name, org.your_role ?? '')} />`;
  else if (name === 'invitations' && id) body = html`<${Invitation} key=${id} org=${org} id=${id} />`;
  else if (name === 'webhooks' && id) body = html`<${Webhook} key=${id} org=${org} id=${id} />`;
  else {
    const Screen = (SCREENS.find(([n]) => n === name) ?? SCREENS[0])[1];
    body = html`<${Screen} key=${`${name}:${org.id}`} org=${org} session=${session} onOrgChanged=${reloadOrganizations} />`;
  }
  // A member sees the screens a member can use; the rest are for the organization's admins.
  const links = [
    ...SCREENS.map(([n]) => n).filter((n) => admin || MEMBER_SCREENS.includes(n)),
    ...(session.user.instance_admin ? ['organizations', 'users'] : []),
  ];
  return html`
    <a class="skip" href="#content" onClick=${(e) => {
      e.preventDefault();
      document.getElementById('content')?.focus();
    }}>${t('skip')}</a>
    <header class="top">
      <span class="brand">rsvp</span>
      ${
        orgs.length > 0 &&
        html`<label class="inline">${t('org.switch')}
        <select value=${org?.id} onChange=${choose}>
          ${orgs.map((o) => html`<option value=${o.id}>${o.name} (${o.slug})</option>`)}
        </select></label>
        ${nextOrganizations && html`<button type="button" onClick=${moreOrganizations}>${t('org.more')}</button>`}`
      }
      <label class="inline">${t('language')}
        <select value=${currentLocale()} onChange=${(e) => onLocale(e.currentTarget.value)}>
          ${LOCALES.map((l) => html`<option value=${l}>${LANGUAGE_NAMES[l] ?? l}</option>`)}
        </select></label>
      <span class="muted">${session.user.email}</span>
      <button type="button" onClick=${onSignOut} disabled=${signingOut} aria-busy=${signingOut ? 'true' : undefined}>${signingOut ? t('signingOut') : t('signOut')}</button>
    </header>
    <nav class="main" aria-label=${t('nav')}>
      <ul>${links.map(
        (n) =>
          // Keyed: the list grows once the caller's role is known, and a link must stay the link it was.
          html`<li key=${n}><a href=${`#/${n}`} aria-current=${n === name ? 'page' : undefined}>${t(`nav.${n}`)}</a></li>`,
      )}</ul>
    </nav>
    <main id="content" tabindex="-1">${body}</main>`;
}

function App() {
  const [session, setSession] = useState(null);
  const [error, setError] = useState(null);
  const [ended, setEnded] = useState(false);
  const [, setLocaleTick] = useState(0);
  const [signingOut, setSigningOut] = useState(false);
  const refresh = useCallback(() => {
    loadSession().then(setSession, () => setError(t('error.network')));
  }, []);
  useEffect(refresh, []);
  useEffect(
    () =>
      whenSessionEnds(() => {
        setEnded(true);
        refresh();
      }),
    [],
  );
  const onLocale = (locale) => {
    setLocale(locale);
    setLocaleTick((n) => n + 1);
  };
  const signOut = async () => {
    setSigningOut(true);
    await api.del('/v1/session').catch(() => undefined);
    setSigningOut(false);
    setEnded(false);
    refresh();
  };
  const signedIn = () => {
    setEnded(false);
    refresh();
  };
  if (error) return html`<main class="narrow"><${Notice} error=${error} /></main>`;
  if (!session) return html`<main class="narrow"><p role="status">${t('loading')}</p></main>`;
  if (!session.user)
    return html`<${SignIn} onSignedIn=${signedIn} onLocale=${onLocale} notice=${ended ? t('session.ended') : null} />`;
  return html`<${Shell} session=${session} onSignOut=${signOut} signingOut=${signingOut} onLocale=${onLocale} />`;
}

render(html`<${App} />`, document.getElementById('app'));
