import type { App } from '../http/app-types.ts';
import { logFailure, sendProblem, toAppError } from '../http/problem.ts';
import { messageCard } from './invitee.cards.ts';
import { html, page } from './layout.ts';

/**
 * What the page routes did not answer themselves (the database unavailable, a body over the
 * limit): a browser that posted a form gets a page saying what went wrong and that retrying is
 * safe to try, not a problem+json document; other clients still get problem+json. The status and
 * the Retry-After header are the API's.
 */
export function registerPageErrors(app: App) {
  app.setErrorHandler((error, request, reply) => {
    const problem = toAppError(error);
    logFailure(request, problem, error);
    if (!(request.headers.accept ?? '').includes('text/html')) return sendProblem(request, reply, problem);
    for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
    const [title, detail] =
      problem.status >= 500
        ? ['Something went wrong', `${problem.message} Go back and try again in a moment.`]
        : [problem.title, `${problem.message} Go back and try again.`];
    const body = html`${messageCard(title, detail, true)}<section class="card"><p class="muted">Request ${request.id}</p></section>`;
    return reply.code(problem.status).type('text/html; charset=utf-8').send(page({ title, body }));
  });
}
