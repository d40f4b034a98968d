import { DE } from './strings-de.js';
import { EN } from './strings-en.js';
import { FR } from './strings-fr.js';
import { JOINING_DE } from './strings-joining-de.js';
import { JOINING_EN } from './strings-joining-en.js';
import { JOINING_FR } from './strings-joining-fr.js';

/** The main strings and those of the joining and email screens (kept apart, files stay short). */
const merged = (main, joining) => ({
  ...main,
  ...joining,
  errors: { ...main.errors, ...joining.errors },
});
const DICTIONARIES = {
  en: merged(EN, JOINING_EN),
  fr: merged(FR, JOINING_FR),
  de: merged(DE, JOINING_DE),
};
export const LOCALES = ['en', 'fr', 'de'];
/** Each language by its own name, as the picker offers it. */
export const LANGUAGE_NAMES = { en: 'English', fr: 'Français', de: 'Deutsch' };

function initial() {
  const saved = localStorage.getItem('rsvp.console.locale');
  if (saved && DICTIONARIES[saved]) return saved;
  const browser = navigator.language?.toLowerCase().slice(0, 2);
  return DICTIONARIES[browser] ? browser : 'en';
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
  const value = DICTIONARIES[locale][key] ?? DICTIONARIES.en[key] ?? key;
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
