import type { App } from '../http/app-types.ts';
import type { InvitationService } from '../invitations/invitation.service.ts';
import { invitationBulkRoutes } from './invitation-bulk.routes.ts';
import { invitationCreateRoutes } from './invitation-create.routes.ts';
import { invitationManageRoutes } from './invitation-manage.routes.ts';
import { invitationReadRoutes } from './invitation-read.routes.ts';
import { invitationRespondRoutes } from './invitation-respond.routes.ts';

/** The native invitation API, registered in the order the OpenAPI document lists it. */
export function invitationRoutes(app: App, services: { invitations: InvitationService }) {
  invitationCreateRoutes(app, services.invitations);
  invitationReadRoutes(app, services.invitations);
  invitationManageRoutes(app, services.invitations);
  invitationBulkRoutes(app, services.invitations);
  invitationRespondRoutes(app, services.invitations);
}
