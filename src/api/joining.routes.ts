import type { App } from '../http/app-types.ts';
import type { Services } from '../services.ts';
import { domainRoutes } from './domain.routes.ts';
import { joinLinkRoutes } from './join-link.routes.ts';
import { joinRequestRoutes } from './join-request.routes.ts';

/** Joining without a personal invitation: join links, the approval queue, verified domains. */
export function joiningRoutes(app: App, services: Services) {
  joinLinkRoutes(app, services);
  joinRequestRoutes(app, services);
  domainRoutes(app, services);
}
