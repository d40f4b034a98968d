import type { FastifyRequest } from 'fastify';
import type { App } from '../http/app-types.ts';
import { logFailure, sendProblem, toAppError } from '../http/problem.ts';
import { inviteUrl, messageCard } from './invitee.cards.ts';
import { joinPath } from './join.cards.ts';
import { html, page } from './layout.ts';
import { tokenOfRefusedForm, visitorLocale, wantsHtml } from './page-form.ts';
import { PAGE_STRINGS } from './page-strings.ts';

/** The page a failed form came from, when it can be told: where "Back" leads. */
function pageOf(request: FastifyRequest): string | null {
  const path = request.url.split('?')[0]!;
  if (path.startsWith('/sign-up')) return '/sign-up';
  const token = tokenOfRefusedForm(request);
  if (token && path.startsWith('/invite')) return inviteUrl(token);
  if (token && path.startsWith('/join')) return joinPath(token);
  return null;
}

/**
 * What the page routes did not answer themselves (the database unavailable, a body of another
 * type or over the limit): a browser that posted a form gets a page in its language saying that
 * the request failed and to try again, with the way back; other clients still get problem+json.
 * The status and the Retry-After header are the API's; the API's own wording, written for
 * developers, stays out of the page.
 */
export function registerPageErrors(app: App) {
  app.setErrorHandler((error, request, reply) => {
    const problem = toAppError(error);
    logFailure(request, problem, error);
    if (!wantsHtml(request)) return sendProblem(request, reply, problem);
    for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
    const locale = visitorLocale(request);
    const t = PAGE_STRINGS[locale]!;
    const back = pageOf(request);
    const body = html`${messageCard(t.failedTitle, t.failed, true)}<section class="card">${
      back ? html`<p><a href="${back}">${t.back}</a></p>` : ''
    }<p class="muted">${problem.status} · ${request.id}</p></section>`;
    return reply
      .code(problem.status)
      .type('text/html; charset=utf-8')
      .send(page({ title: t.failedTitle, body, lang: locale }));
  });
}
