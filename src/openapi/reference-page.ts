import Fastify from 'fastify';
import type { App } from '../http/app-types.ts';

/**
 * The API reference at /docs: Scalar's renderer, served from node_modules (no CDN, no font
 * host, no telemetry), reading the document this listener serves at /openapi.json.
 */

/** Scalar's standalone bundle as its Fastify plugin ships it, read once on first use. */
let bundle: Promise<string> | undefined;
function scalarBundle(): Promise<string> {
  bundle ??= (async () => {
    // The plugin keeps the bundle inside its own module and serves it as a route; ask it once.
    const { default: scalar } = await import('@scalar/fastify-api-reference');
    const donor = Fastify();
    await donor.register(scalar, { routePrefix: '/r', configuration: { content: {} } });
    const response = await donor.inject('/r/js/scalar.js');
    await donor.close();
    if (response.statusCode !== 200) throw new Error(`Scalar bundle: HTTP ${response.statusCode}`);
    return response.body;
  })();
  return bundle;
}

const CONFIGURATION = {
  url: '/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  hideClientButton: true,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
  defaultOpenAllTags: false,
  hideDarkModeToggle: false,
  documentDownloadType: 'json',
};

const escapeAttribute = (text: string) => text.replaceAll('&', '&amp;').replaceAll("'", '&#39;');

function page(title: string, configuration: Record<string, unknown>) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
</head>
<body>
<noscript>This reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<script id="api-reference" data-url="/openapi.json" data-configuration='${escapeAttribute(JSON.stringify(configuration))}'></script>
<script src="/docs/scalar.js"></script>
</body>
</html>
`;
}

/** Scalar styles itself inline and loads nothing but this listener's own URLs. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** GET /docs and its script, both public: the reference is for anyone who can reach the API. */
export function referencePageRoutes(app: App, options: { title: string }) {
  const html = page(options.title, CONFIGURATION);
  app.get('/docs', {
    config: { auth: 'public' },
    schema: { hide: true },
    handler: async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(html),
  });
  app.get('/docs/scalar.js', {
    config: { auth: 'public' },
    schema: { hide: true },
    handler: async (_request, reply) =>
      reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=86400')
        .send(await scalarBundle()),
  });
}
