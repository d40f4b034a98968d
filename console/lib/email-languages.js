import { api } from './api.js';
import { currentLocale, LOCALES } from './i18n.js';
import { useLoad } from './ui.js';

/** A locale's name in the reader's language; the API decides which locales exist. */
export function languageName(code) {
  try {
    return new Intl.DisplayNames([currentLocale()], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * The languages rsvp writes emails in (one locale file each on the server), for an
 * organization's pickers. Reading them needs an admin; anyone else is offered the console's own
 * languages, which the server speaks too. A form should wait for `ready`: a list arriving after the
 * person started typing would re-render the form over what they typed.
 */
export function useEmailLanguages(orgId) {
  const state = useLoad(
    () =>
      api.get('/v1/organizations/{org_id}/email-templates', { path: { org_id: orgId } }).then(
        (list) => list.supported_locales,
        () => null,
      ),
    [orgId],
  );
  return { ready: !state.loading, loaded: state.data ?? null, offered: state.data ?? LOCALES };
}
