import type { FastifyInstance } from 'fastify';
import { unauthenticated } from '../auth/authenticator.ts';
import { hasScope } from '../auth/principal.ts';
import type { Database } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { constantTimeEqual } from '../lib/secrets.ts';
import { outboxBacklog } from '../outbox/outbox.repository.ts';
import type { Services } from '../services.ts';
import type { App } from './app-types.ts';
import { insufficientScope } from './route-auth.ts';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

/**
 * Request counts and latency histograms per route and status class, kept in process; the
 * outbox backlog and process memory are read at scrape time. Labels are route patterns, never
 * raw URLs, so ids and tokens cannot blow up the series or leak into them.
 */
export class Metrics {
  readonly #series = new Map<string, Series>();
  readonly #started = Date.now();

  observe(method: string, route: string, status: number, seconds: number) {
    const key = `${method}|${route}|${Math.floor(status / 100)}xx`;
    let series = this.#series.get(key);
    if (!series) {
      series = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      this.#series.set(key, series);
    }
    series.count++;
    series.sum += seconds;
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) series.buckets[i]!++;
    });
  }

  register(app: FastifyInstance) {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
  }

  render(extra: { outboxDue: number; outboxRetrying: number; outboxDead: number }): string {
    const lines = [
      '# HELP rsvp_http_requests_total Requests answered, by method, route pattern and status class.',
      '# TYPE rsvp_http_requests_total counter',
    ];
    const label = (key: string) => {
      const [method, route, status] = key.split('|');
      return `method="${method}",route="${route!.replaceAll('"', '\\"')}",status="${status}"`;
    };
    for (const [key, series] of this.#series)
      lines.push(`rsvp_http_requests_total{${label(key)}} ${series.count}`);
    lines.push(
      '# HELP rsvp_http_request_duration_seconds Time to answer, by method, route pattern and status class.',
      '# TYPE rsvp_http_request_duration_seconds histogram',
    );
    for (const [key, series] of this.#series) {
      BUCKETS.forEach((bound, i) => {
        lines.push(
          `rsvp_http_request_duration_seconds_bucket{${label(key)},le="${bound}"} ${series.buckets[i]}`,
        );
      });
      lines.push(`rsvp_http_request_duration_seconds_bucket{${label(key)},le="+Inf"} ${series.count}`);
      lines.push(`rsvp_http_request_duration_seconds_sum{${label(key)}} ${series.sum.toFixed(6)}`);
      lines.push(`rsvp_http_request_duration_seconds_count{${label(key)}} ${series.count}`);
    }
    const memory = process.memoryUsage();
    lines.push(
      '# HELP rsvp_outbox_due_messages Outbox messages due for delivery now.',
      '# TYPE rsvp_outbox_due_messages gauge',
      `rsvp_outbox_due_messages ${extra.outboxDue}`,
      '# HELP rsvp_outbox_retrying_messages Outbox messages that failed and wait for their next attempt.',
      '# TYPE rsvp_outbox_retrying_messages gauge',
      `rsvp_outbox_retrying_messages ${extra.outboxRetrying}`,
      '# HELP rsvp_outbox_dead_messages Outbox messages that exhausted their attempts.',
      '# TYPE rsvp_outbox_dead_messages gauge',
      `rsvp_outbox_dead_messages ${extra.outboxDead}`,
      '# HELP process_resident_memory_bytes Resident memory.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${memory.rss}`,
      '# HELP nodejs_heap_used_bytes V8 heap in use.',
      '# TYPE nodejs_heap_used_bytes gauge',
      `nodejs_heap_used_bytes ${memory.heapUsed}`,
      '# HELP process_uptime_seconds Seconds since this process started serving.',
      '# TYPE process_uptime_seconds gauge',
      `process_uptime_seconds ${Math.round((Date.now() - this.#started) / 1000)}`,
    );
    return `${lines.join('\n')}\n`;
  }
}

/**
 * `GET /metrics` in Prometheus text format. A scraper sends `METRICS_TOKEN` as a bearer token;
 * without one configured, only instance admins may read it.
 */
export function metricsRoutes(
  app: App,
  deps: { metrics: Metrics; database: Database; clock: Clock; services: Services; token: string | undefined },
) {
  app.get('/metrics', {
    config: { auth: 'public' },
    schema: { hide: true },
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
      const backlog = await outboxBacklog(deps.database.db, deps.clock.now());
      reply.type('text/plain; version=0.0.4; charset=utf-8');
      return deps.metrics.render({
        outboxDue: backlog.due,
        outboxRetrying: backlog.retrying,
        outboxDead: backlog.dead,
      });
    },
  });
}
