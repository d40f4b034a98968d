import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { hasScope } from '../access/principal.ts';
import { unauthenticated } from '../auth/authenticator.ts';
import type { Database, Executor } from '../db/database.ts';
import { type App, problems } from '../http/app-types.ts';
import { insufficientScope } from '../http/route-auth.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { constantTimeEqual } from '../lib/secrets.ts';
import type { AttemptResult, Settlement } from '../outbox/outbox.handler.ts';
import { outboxBacklog } from '../outbox/outbox.repository.ts';
import type { Services } from '../services.ts';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Invitation transitions an operator watches, by the event that records each. */
const LIFECYCLE = {
  created: 'invitation.created',
  accepted: 'invitation.accepted',
  declined: 'invitation.declined',
  revoked: 'invitation.revoked',
  expired: 'invitation.expired',
} as const;

/** How many events of each type were ever recorded (the events folder provides it: http sits below it). */
export type CountEvents = (db: Executor, types: readonly string[]) => Promise<Map<string, number>>;

/** What became of one settled outbox attempt, as `rsvp_emails_total` and webhooks count it. */
export interface SettledAttempt {
  kind: 'email' | 'webhook';
  settlement: Settlement;
  result: AttemptResult;
}

/**
 * The Prometheus registry of one app (never prom-client's global one, so several apps in one
 * process keep their own series). Request counts and latency per route pattern and status
 * class; default process metrics with event-loop lag; outbox backlog and invitation
 * transitions read from the database at scrape time; email and webhook outcomes counted by the
 * outbox worker after the transaction that settles each attempt commits. Labels are route
 * patterns, never raw URLs, so ids and tokens cannot blow up the series or leak into them.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #started = Date.now();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #duration: Histogram<'method' | 'route' | 'status'>;
  readonly #series = new Map<string, { count: { inc(): void }; time: { observe(value: number): void } }>();
  readonly #outbox: Record<'due' | 'retrying' | 'dead', Gauge>;
  readonly #invitations: Counter<'event'>;
  readonly #emails: Counter<'outcome'>;
  readonly #webhooks: Counter<'outcome'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    const labelNames = ['method', 'route', 'status'] as const;
    this.#requests = new Counter({
      name: 'rsvp_http_requests_total',
      help: 'Requests answered, by method, route pattern and status class.',
      labelNames,
      registers,
    });
    this.#duration = new Histogram({
      name: 'rsvp_http_request_duration_seconds',
      help: 'Time to answer, by method, route pattern and status class.',
      labelNames,
      buckets: BUCKETS,
      registers,
    });
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    this.#outbox = {
      due: gauge('rsvp_outbox_due_messages', 'Outbox messages due for delivery now.'),
      retrying: gauge(
        'rsvp_outbox_retrying_messages',
        'Outbox messages that failed and wait for their next attempt.',
      ),
      dead: gauge('rsvp_outbox_dead_messages', 'Outbox messages that exhausted their attempts.'),
    };
    const started = this.#started;
    new Gauge({
      name: 'nodejs_heap_used_bytes',
      help: 'V8 heap in use.',
      registers,
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    new Gauge({
      name: 'process_uptime_seconds',
      help: 'Seconds since this process started serving.',
      registers,
      collect() {
        this.set(Math.round((Date.now() - started) / 1000));
      },
    });
    this.#invitations = new Counter({
      name: 'rsvp_invitations_total',
      help: 'Invitation transitions committed, by event (created, accepted, declined, revoked, expired); read from the event history, so the same on every instance.',
      labelNames: ['event'],
      registers,
    });
    this.#emails = new Counter({
      name: 'rsvp_emails_total',
      help: 'Email attempts settled by this process: sent, deferred (will retry), bounced (refused permanently) or failed (gave up).',
      labelNames: ['outcome'],
      registers,
    });
    this.#webhooks = new Counter({
      name: 'rsvp_webhook_deliveries_total',
      help: 'Webhook attempts settled by this process: delivered, retrying or failed (gave up).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['sent', 'deferred', 'bounced', 'failed']) this.#emails.inc({ outcome }, 0);
    for (const outcome of ['delivered', 'retrying', 'failed']) this.#webhooks.inc({ outcome }, 0);
  }

  register(app: FastifyInstance) {
    app.addHook('onResponse', (request, reply, done) => {
      const method = request.method;
      const route = request.routeOptions.url ?? 'unmatched';
      const status = `${Math.floor(reply.statusCode / 100)}xx`;
      // One child per series, looked up by a string: prom-client hashes and checks the labels on
      // every inc/observe otherwise. The series are bounded: routes x methods x 5 status classes.
      const key = `${method} ${route} ${status}`;
      let series = this.#series.get(key);
      if (!series) {
        series = {
          count: this.#requests.labels(method, route, status),
          time: this.#duration.labels(method, route, status),
        };
        this.#series.set(key, series);
      }
      series.count.inc();
      series.time.observe(reply.elapsedTime / 1000);
      done();
    });
  }

  /** Called by the outbox worker once the settling transaction has committed. */
  settled({ kind, settlement, result }: SettledAttempt) {
    if (kind === 'webhook') {
      const outcome = { done: 'delivered', retry: 'retrying', dead: 'failed' }[settlement];
      this.#webhooks.inc({ outcome });
      return;
    }
    if (result.ok && result.skipped) return;
    const outcome =
      settlement === 'done'
        ? 'sent'
        : !result.ok && result.permanent
          ? 'bounced'
          : settlement === 'dead'
            ? 'failed'
            : 'deferred';
    this.#emails.inc({ outcome });
  }

  /** The Prometheus text, with the database-backed series read now. */
  async render(db: Executor, now: Date, countEvents: CountEvents): Promise<string> {
    const [backlog, events] = await Promise.all([
      outboxBacklog(db, now),
      countEvents(db, Object.values(LIFECYCLE)),
    ]);
    this.#outbox.due.set(backlog.due);
    this.#outbox.retrying.set(backlog.retrying);
    this.#outbox.dead.set(backlog.dead);
    this.#invitations.reset();
    for (const [event, type] of Object.entries(LIFECYCLE))
      this.#invitations.inc({ event }, events.get(type) ?? 0);
    return this.registry.metrics();
  }
}

/**
 * `GET /metrics` in Prometheus text format. A scraper sends `METRICS_TOKEN` as a bearer token;
 * without one configured, only instance admins may read it.
 */
export function metricsRoutes(
  app: App,
  deps: {
    metrics: Metrics;
    database: Database;
    clock: Clock;
    services: Services;
    token: string | undefined;
    countEvents: CountEvents;
  },
) {
  app.get('/metrics', {
    config: { auth: 'public' },
    schema: {
      tags: ['Operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description:
        'Request, outbox, delivery and event counters in the Prometheus text format. For a scraper with ' +
        '`METRICS_TOKEN` as a bearer token, or an instance admin’s credential with `instance:read`.',
      security: [{ bearer: [] }, { basic: [] }],
      produces: ['text/plain'],
      response: {
        200: z
          .string()
          .meta({
            examples: ['# HELP rsvp_outbox_pending Messages waiting in the outbox.\nrsvp_outbox_pending 0\n'],
          })
          .describe('The metrics, `text/plain; version=0.0.4`.'),
        ...problems(401, 403),
      },
    },
    handler: async (request, reply) => {
      const authorization = request.headers.authorization ?? '';
      const bearer = /^bearer\s+(\S+)$/i.exec(authorization)?.[1];
      const byToken =
        deps.token !== undefined && bearer !== undefined && constantTimeEqual(bearer, deps.token);
      if (!byToken) {
        const principal = await deps.services.authenticator.authenticate({
          authorization: request.headers.authorization,
          clientIp: request.ip,
        });
        if (!principal)
          throw unauthenticated('Send METRICS_TOKEN as a bearer token, or an instance admin credential.');
        // Declared public for the scraper's token; a user credential still needs its scope.
        if (!hasScope(principal, 'instance:read')) throw insufficientScope('instance:read');
        if (!principal.user.isInstanceAdmin) {
          throw new AppError(
            403,
            'instance_admin_required',
            'Instance admin required',
            'Only instance admins read metrics.',
          );
        }
      }
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.render(deps.database.db, deps.clock.now(), deps.countEvents);
    },
  });
}
