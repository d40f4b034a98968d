import type { EmailLocale } from '../delivery/email-templates.ts';
import { fill, LOCALES, type LocaleStrings } from '../locales/locales.ts';
import type { SignUpStanding } from '../users/sign-up.service.ts';
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

/**
 * The second step, from the mailed link: a password for the confirmed address, and a name for an
 * account that starts here (a new one, or one taken over from whoever made it unproven).
 */
export function passwordForm(
  options: { email: string; token: string; csrf: string; standing: Exclude<SignUpStanding, 'deactivated'> },
  locale: EmailLocale,
): Html {
  const t = signUpStrings(locale);
  const p = PAGE_STRINGS[locale]!;
  const { standing } = options;
  const [title, hint, button] =
    standing === 'new'
      ? [t.chooseTitle, t.chooseHint, p.createAccount]
      : standing === 'unproven'
        ? [t.claimTitle, t.claimHint, t.setPassword]
        : [t.resetTitle, t.resetHint, t.setPassword];
  const name =
    standing === 'existing'
      ? ''
      : html`<label>${p.yourName}<input type="text" name="display_name" autocomplete="name" maxlength="200"></label>`;
  return html`<section class="card" aria-labelledby="choose">
<h1 id="choose">${title}</h1>
<p class="muted">${fill(hint, { email: options.email })}</p>
<form method="post" action="/sign-up"><input type="hidden" name="token" value="${options.token}"><input type="hidden" name="csrf" value="${options.csrf}">
<input type="email" name="username" autocomplete="username" value="${options.email}" hidden readonly>
${name}
<label>${p.choosePassword}<input type="password" name="password" autocomplete="new-password" minlength="8" maxlength="256" required></label>
<button class="primary" type="submit">${button}</button>
</form>
</section>`;
}
