import { useState } from 'preact/hooks';
import { t } from './i18n.js';
import { html } from './ui.js';

/** A secret shown only once, with a button that copies it; `label` says what it is. */
export function OnceSecret({ label, value, hint }) {
  const [copied, setCopied] = useState(null);
  const copy = () =>
    navigator.clipboard.writeText(value).then(
      () => setCopied(t('copy.done')),
      () => setCopied(t('copy.failed')),
    );
  return html`<div class="card" role="status">
    <p>${label}</p>
    <p class="secret">${value}</p>
    ${hint && html`<p class="muted">${hint}</p>`}
    <button type="button" onClick=${copy}>${t('copy')}</button> <span aria-live="polite">${copied}</span>
  </div>`;
}
