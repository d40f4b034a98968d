import htm from 'htm';
import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { explain, t } from './i18n.js';

export const html = htm.bind(h);

/** Whether the signed-in user administers `org` (its admin roles, or an instance admin). */
export function administers(session, org) {
  if (session.user.instance_admin) return true;
  return org.settings.roles.some((role) => role.name === org.your_role && role.admin);
}

/**
 * Loads data for a screen; `reload` fetches again. Errors become readable sentences. `fresh` says
 * the data on screen answers the current `deps` (not a previous query still shown while loading).
 */
export function useLoad(load, deps) {
  const key = JSON.stringify(deps);
  const [state, setState] = useState({ loading: true, data: undefined, error: null, key: undefined });
  const current = useRef(0);
  const reload = useCallback(() => {
    const run = ++current.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => run === current.current && setState({ loading: false, data, error: null, key }),
      (error) =>
        run === current.current && setState({ loading: false, data: undefined, error: explain(error), key }),
    );
  }, deps);
  useEffect(reload, [reload]);
  return { ...state, fresh: !state.loading && state.key === key, reload };
}

/**
 * Previous and Next over a list's page tokens. Next follows only the page on screen, once it
 * answers the current filters: a token of another query is never sent.
 */
export function Pager({ tokens, setTokens, state, more = true }) {
  const next = state.fresh ? state.data?.next_page_token : undefined;
  return html`<nav class="actions" aria-label=${t('pagination')}>
    <button type="button" disabled=${tokens.length === 1 || state.loading} onClick=${() => setTokens(tokens.slice(0, -1))}>${t('previous')}</button>
    <span class="muted" aria-live="polite">${t('page', tokens.length)}</span>
    <button type="button" disabled=${!next || !more} onClick=${() => setTokens([...tokens, next])}>${t('next')}</button>
  </nav>`;
}

/** Runs an action, keeping its outcome as a message; `busy` while it runs. */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, ok: null });
  const run = useCallback(async (action, okMessage) => {
    setState({ busy: true, error: null, ok: null });
    try {
      const result = await action();
      setState({ busy: false, error: null, ok: okMessage ?? null });
      return result;
    } catch (error) {
      setState({ busy: false, error: explain(error), ok: null });
      return undefined;
    }
  }, []);
  return { ...state, run, clear: () => setState({ busy: false, error: null, ok: null }) };
}

export function Notice({ error, ok }) {
  if (error) return html`<p class="notice error" role="alert">${error}</p>`;
  if (ok) return html`<p class="notice ok" role="status">${ok}</p>`;
  return null;
}

export function Loading({ state }) {
  if (state.error) return html`<${Notice} error=${state.error} />`;
  if (state.loading && state.data === undefined) return html`<p role="status">${t('loading')}</p>`;
  return null;
}

export const Badge = ({ value, label }) => html`<span class="badge ${value}">${label ?? value}</span>`;

/** Moves focus to a screen's heading when it opens, so keyboard and screen-reader users follow. */
export function Heading({ children }) {
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), []);
  return html`<h1 tabindex="-1" ref=${ref}>${children}</h1>`;
}

/** Form values as an object, empty fields left out. */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string' && value.trim() === '') continue;
    if (name in values) values[name] = [].concat(values[name], value);
    else values[name] = value;
  }
  return values;
}

export const toIso = (date, endOfDay) =>
  date ? new Date(`${date}T${endOfDay ? '23:59:59' : '00:00:00'}Z`).toISOString() : undefined;

/** The acting user by email (and name) when the API tells it, else their id; then the key used. */
export function actorOf(event) {
  const who = event.actor_email
    ? event.actor_name
      ? `${event.actor_name} <${event.actor_email}>`
      : event.actor_email
    : (event.actor_user_id ?? t('audit.system'));
  return event.actor_api_key_id ? `${who} (${event.actor_api_key_id})` : who;
}
