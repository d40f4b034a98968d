import { api } from '../lib/api.js';
import { currentLocale, LANGUAGE_NAMES, LOCALES, t } from '../lib/i18n.js';
import { formValues, html, Notice, useAction } from '../lib/ui.js';

export function SignIn({ onSignedIn, onLocale, notice }) {
  const action = useAction();
  const submit = async (event) => {
    event.preventDefault();
    const { email, password } = formValues(event.currentTarget);
    const done = await action.run(() =>
      api.post('/v1/session', {}, { email: email ?? '', password: password ?? '' }),
    );
    if (done) onSignedIn();
  };
  return html`<main class="narrow">
    <h1>${t('signIn.title')}</h1>
    ${notice && html`<p class="notice error" role="alert">${notice}</p>`}
    <form class="card" onSubmit=${submit}>
      <label>${t('email')}<input name="email" type="text" autocomplete="username" required /></label>
      <label>${t('password')}<input name="password" type="password" autocomplete="current-password" required /></label>
      <${Notice} error=${action.error} />
      <button class="primary" type="submit" disabled=${action.busy}>${t('signIn')}</button>
    </form>
    <p><a href="/sign-up">${t('signIn.forgot')}</a></p>
    <label class="inline">${t('language')}
      <select value=${currentLocale()} onChange=${(e) => onLocale(e.currentTarget.value)}>
        ${LOCALES.map((l) => html`<option value=${l}>${LANGUAGE_NAMES[l] ?? l}</option>`)}
      </select></label>
  </main>`;
}
