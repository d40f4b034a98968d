import { EN } from './strings-en.js';
import { FR } from './strings-fr.js';

const DICTIONARIES = { en: EN, fr: FR };
export const LOCALES = ['en', 'fr'];

function initial() {
  const saved = localStorage.getItem('rsvp.console.locale');
  if (saved && DICTIONARIES[saved]) return saved;
  return navigator.language?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

let locale = initial();
document.documentElement.lang = locale;

export const currentLocale = () => locale;

export function setLocale(next) {
  locale = DICTIONARIES[next] ? next : 'en';
  localStorage.setItem('rsvp.console.locale', locale);
  document.documentElement.lang = locale;
}

/** The string for `key` in the current locale (English when missing); functions get `args`. */
export function t(key, ...args) {
  const value = DICTIONARIES[locale][key] ?? EN[key] ?? key;
  return typeof value === 'function' ? value(...args) : value;
}

export function formatDate(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/**
 * A sentence for a failed call: the API's rules (role ranks, seat and pending limits, rate
 * limits…) in the reader's language, else the problem's own detail. Never a stack or raw JSON.
 */
export function explain(error) {
  const problem = error?.problem;
  if (!problem) return t('error.network');
  if (problem.code === 'rate_limited' || problem.code === 'too_many_sign_in_attempts') {
    const seconds = Number(error.response?.headers.get('retry-after'));
    return t('error.rate_limited', Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : null);
  }
  const known = DICTIONARIES[locale].errors?.[problem.code];
  const fields = (problem.errors ?? []).map((e) => e.detail).filter((d) => d && !problem.detail?.includes(d));
  const base = known ?? problem.detail ?? problem.title;
  return fields.length && !known ? `${base} (${fields.join('; ')})` : base;
}
