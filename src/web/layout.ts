import { escapeHtml } from '../delivery/email-templates.ts';

/** Tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
}

type Part = string | number | null | undefined | false | Html | Html[];

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

function render(value: Part): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#57606a;--bg:#f6f7f9;--card:#fff;--line:#d0d7de;--accent:#1f6feb;--danger:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;--accent:#4493f8;--danger:#f85149}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}
main{max-width:34rem;margin:3rem auto;padding:0 1rem}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.5rem;margin-bottom:1rem}
h1{font-size:1.4rem;margin:0 0 1rem}h2{font-size:1.1rem;margin:0 0 .75rem}p{margin:0 0 .75rem}.muted{color:var(--muted)}
blockquote{margin:0 0 1rem;padding:.5rem 1rem;border-left:4px solid var(--line);color:var(--muted);white-space:pre-wrap;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
form{margin:0}.row{display:flex;gap:.75rem;flex-wrap:wrap}label{display:block;margin:0 0 .75rem}
input[type=email],input[type=password],input[type=text]{display:block;width:100%;padding:.5rem;margin-top:.25rem;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);font:inherit}
button{font:inherit;padding:.55rem 1.1rem;border-radius:6px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error{border-color:var(--danger)}.error h2,.error p{color:var(--danger)}
`;

export function page(options: { title: string; body: Html; lang?: string }): string {
  return html`<!doctype html>
<html lang="${options.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${options.title} · rsvp</title>
<style>${new Html(STYLE)}</style>
</head>
<body><main>${options.body}</main></body>
</html>
`.value;
}
