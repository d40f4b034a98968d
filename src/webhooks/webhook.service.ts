import type { Principal } from '../access/principal.ts';
import type { Database } from '../db/database.ts';
import { recordAudit, recordEvents, webhookPayload } from '../events/event.recorder.ts';
import { auditEvent } from '../events/event.repository.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { encrypt } from '../lib/secrets.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';
import { enqueue } from '../outbox/outbox.repository.ts';
import { destinationProblem } from './destination.ts';
import { newWebhookSecret } from './signing.ts';
import {
  attemptsFor,
  deleteEndpoint,
  deliveryCounts,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  requeueDelivery,
  updateEndpoint,
  type WebhookEndpointRecord,
} from './webhook.repository.ts';

export interface EndpointInput {
  url: string;
  description?: string | null | undefined;
  event_types: string[];
  enabled?: boolean | undefined;
}

const endpointNotFound = () =>
  new AppError(
    404,
    'webhook_endpoint_not_found',
    'Webhook endpoint not found',
    'No such webhook endpoint here.',
  );

/** Webhook endpoints of an organization, managed by its admins; secrets are shown once. */
export class WebhookService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #keys: InstanceKeys;
  readonly #allowPrivate: boolean;
  readonly #onQueued: () => void;

  constructor(deps: {
    database: Database;
    clock: Clock;
    keys: InstanceKeys;
    allowPrivateDestinations: boolean;
    onQueued: () => void;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#keys = deps.keys;
    this.#allowPrivate = deps.allowPrivateDestinations;
    this.#onQueued = deps.onQueued;
  }

  #checkUrl(url: string) {
    const problem = destinationProblem(url, this.#allowPrivate);
    if (problem) {
      throw new AppError(422, 'invalid_webhook_url', 'Webhook URL not allowed', `The URL ${problem}.`, {
        extras: { errors: [{ pointer: '/body/url', detail: problem }] },
      });
    }
  }

  async #admin(principal: Principal, ref: string) {
    const access = await organizationAccess(this.#database.db, principal, ref);
    requireAdmin(access, 'manage webhooks');
    return access.organization;
  }

  async create(principal: Principal, ref: string, input: EndpointInput) {
    const organization = await this.#admin(principal, ref);
    this.#checkUrl(input.url);
    const now = this.#clock.now();
    const secret = newWebhookSecret();
    const endpoint: WebhookEndpointRecord = {
      id: newId('whe', now),
      organizationId: organization.id,
      url: input.url,
      description: input.description ?? null,
      eventTypes: [...new Set(input.event_types)].sort(),
      sealedSecret: encrypt(this.#keys.encryption, secret),
      enabled: input.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    };
    await this.#database.db.transaction().execute(async (trx) => {
      await insertEndpoint(trx, endpoint);
      await recordAudit(trx, {
        type: 'webhook_endpoint.created',
        organizationId: organization.id,
        subject: { type: 'webhook_endpoint', id: endpoint.id },
        actor: principal,
        now,
        data: { url: endpoint.url, event_types: endpoint.eventTypes },
      });
    });
    return { endpoint, secret };
  }

  async list(principal: Principal, ref: string) {
    const organization = await this.#admin(principal, ref);
    return listEndpoints(this.#database.db, organization.id);
  }

  async get(principal: Principal, ref: string, id: string) {
    const organization = await this.#admin(principal, ref);
    const endpoint = await findEndpoint(this.#database.db, organization.id, id);
    if (!endpoint) throw endpointNotFound();
    return { endpoint, counts: await deliveryCounts(this.#database.db, id) };
  }

  async update(
    principal: Principal,
    ref: string,
    id: string,
    input: Partial<EndpointInput> & { rotate_secret?: boolean | undefined },
  ) {
    const organization = await this.#admin(principal, ref);
    const endpoint = await findEndpoint(this.#database.db, organization.id, id);
    if (!endpoint) throw endpointNotFound();
    if (input.url !== undefined) this.#checkUrl(input.url);
    const now = this.#clock.now();
    const secret = input.rotate_secret ? newWebhookSecret() : undefined;
    await this.#database.db.transaction().execute(async (trx) => {
      await updateEndpoint(
        trx,
        id,
        {
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.event_types !== undefined ? { eventTypes: [...new Set(input.event_types)].sort() } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
          ...(secret ? { sealedSecret: encrypt(this.#keys.encryption, secret) } : {}),
        },
        now,
      );
      await recordAudit(trx, {
        type: 'webhook_endpoint.updated',
        organizationId: organization.id,
        subject: { type: 'webhook_endpoint', id },
        actor: principal,
        now,
        data: { fields: Object.keys(input).sort() },
      });
    });
    const updated = (await findEndpoint(this.#database.db, organization.id, id))!;
    return { endpoint: updated, secret };
  }

  async delete(principal: Principal, ref: string, id: string) {
    const organization = await this.#admin(principal, ref);
    const endpoint = await findEndpoint(this.#database.db, organization.id, id);
    if (!endpoint) throw endpointNotFound();
    await this.#database.db.transaction().execute(async (trx) => {
      await deleteEndpoint(trx, id);
      await recordAudit(trx, {
        type: 'webhook_endpoint.deleted',
        organizationId: organization.id,
        subject: { type: 'webhook_endpoint', id },
        actor: principal,
        now: this.#clock.now(),
        data: { url: endpoint.url },
      });
    });
  }

  /** The endpoint's deliveries, newest first, each with its attempts. */
  async deliveries(
    principal: Principal,
    ref: string,
    id: string,
    options: { beforeId?: string | undefined; status?: string | undefined; limit: number },
  ) {
    const organization = await this.#admin(principal, ref);
    if (!(await findEndpoint(this.#database.db, organization.id, id))) throw endpointNotFound();
    const deliveries = await listDeliveries(this.#database.db, id, options);
    const attempts = await attemptsFor(
      this.#database.db,
      deliveries.map((delivery) => delivery.id),
    );
    return { deliveries, attempts };
  }

  /** Sends a delivery again now, with a fresh attempt budget; the same webhook-id. */
  async retry(principal: Principal, ref: string, id: string, deliveryId: string) {
    const organization = await this.#admin(principal, ref);
    if (!(await findEndpoint(this.#database.db, organization.id, id))) throw endpointNotFound();
    const requeued = await requeueDelivery(this.#database.db, id, deliveryId, this.#clock.now());
    if (!requeued) {
      throw new AppError(
        409,
        'delivery_in_progress',
        'Delivery in progress',
        'This delivery is being attempted right now, or does not exist.',
      );
    }
    this.#onQueued();
  }

  /**
   * Queues a `webhook.test` message to this endpoint alone, signed and logged like any other
   * delivery, so an integrator can check their receiver and signature verification.
   */
  async sendTest(principal: Principal, ref: string, id: string): Promise<{ deliveryId: string }> {
    const organization = await this.#admin(principal, ref);
    if (!(await findEndpoint(this.#database.db, organization.id, id))) throw endpointNotFound();
    const now = this.#clock.now();
    const deliveryId = newId('msg', now);
    // Queued and recorded together: the audit log says who pinged which receiver, and when; the
    // test message carries that audit event's id, as every webhook carries its event's.
    const audit = auditEvent({
      type: 'webhook.test_sent',
      organizationId: organization.id,
      subject: { type: 'webhook_endpoint', id },
      actor: principal,
      now,
      data: { delivery_id: deliveryId },
    });
    await this.#database.db.transaction().execute(async (trx) => {
      await enqueue(trx, [
        {
          id: deliveryId,
          kind: 'webhook',
          topic: 'webhook.test',
          organizationId: organization.id,
          invitationId: null,
          endpointId: id,
          dedupeKey: `webhook-test:${deliveryId}`,
          payload: webhookPayload(audit, {
            type: 'webhook.test',
            data: { endpoint_id: id, requested_by: principal.user.id },
          }),
          createdAt: now,
        },
      ]);
      await recordEvents(trx, [audit]);
    });
    this.#onQueued();
    return { deliveryId };
  }
}
