import type { EmailLocale } from '../delivery/email-templates.ts';
import { fill, LOCALES, type LocaleStrings } from '../locales/locales.ts';
import { type Html, html } from './layout.ts';
import { PAGE_STRINGS } from './page-strings.ts';

export type SignUpStrings = LocaleStrings['signUp'];

export function signUpStrings(locale: EmailLocale): SignUpStrings {
  return (LOCALES[locale] ?? LOCALES.en!).signUp;
}

/** The address form: the first step, on its own page or under a join link's sign-in. */
export function emailForm(
  options: { csrf: string; joinToken: string | null; heading: string; hint: string; button: string },
  locale: EmailLocale,
): Html {
  const p = PAGE_STRINGS[locale]!;
  return html`<section class="card" aria-labelledby="signup">
<h2 id="signup">${options.heading}</h2>
<p class="muted">${options.hint}</p>
<form method="post" action="/sign-up/email"><input type="hidden" name="csrf" value="${options.csrf}">${
    options.joinToken ? html`<input type="hidden" name="join" value="${options.joinToken}">` : ''
  }
<label>${p.email}<input type="email" name="email" autocomplete="email" required maxlength="320"></label>
<button class="primary" type="submit">${options.button}</button>
</form>
</section>`;
}

/** The second step, from the mailed link: a name and a password for the confirmed address. */
export function passwordForm(email: string, token: string, csrf: string, locale: EmailLocale): Html {
  const t = signUpStrings(locale);
  const p = PAGE_STRINGS[locale]!;
  return html`<section class="card" aria-labelledby="choose">
<h1 id="choose">${t.chooseTitle}</h1>
<p class="muted">${fill(t.chooseHint, { email })}</p>
<form method="post" action="/sign-up"><input type="hidden" name="token" value="${token}"><input type="hidden" name="csrf" value="${csrf}">
<label>${p.yourName}<input type="text" name="display_name" autocomplete="name" maxlength="200"></label>
<label>${p.choosePassword}<input type="password" name="password" autocomplete="new-password" minlength="8" required></label>
<button class="primary" type="submit">${p.createAccount}</button>
</form>
</section>`;
}
