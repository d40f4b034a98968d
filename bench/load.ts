/**
 * The load generator, in its own process so it does not share a CPU queue with the server
 * under test. Reads a JSON job from argv[2], runs autocannon, prints one JSON line of results.
 * A job may list `requests` (each used once, in order, for workloads such as accepting K
 * distinct invitations) or give one `request` with `{n}` in the body replaced by a counter.
 */
import autocannon, { type Request } from 'autocannon';

interface Job {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  request?: { method: string; path: string; headers?: Record<string, string>; body?: string };
  requests?: { method: string; path: string; headers?: Record<string, string>; body?: string }[];
}

const job = JSON.parse(process.argv[2]!) as Job;
let counter = 0;
let next = 0;
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  ...(job.amount ? { amount: job.amount } : { duration: job.duration ?? 10 }),
  requests: [
    {
      setupRequest(request: Request): Request {
        const template = job.requests ? job.requests[next++ % job.requests.length]! : job.request!;
        const n = `${process.pid}-${counter++}`;
        return {
          ...request,
          method: template.method as Request['method'],
          path: template.path,
          headers: { ...(template.headers ?? {}) },
          ...(template.body !== undefined ? { body: template.body.replaceAll('{n}', n) } : {}),
        };
      },
    },
  ],
});
const codes = result.statusCodeStats as Record<string, { count: number }>;
console.log(
  JSON.stringify({
    // A fixed amount finishes in under a second or two: its rate is count over elapsed time.
    // autocannon ends fixed-count runs on its one-second tick, so their rate comes from latency:
    // with every connection busy, connections / mean latency.
    rps: job.amount ? Math.round((job.connections * 1000) / result.latency.mean) : result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    codes: Object.fromEntries(Object.entries(codes ?? {}).map(([code, stat]) => [code, stat.count])),
  }),
);
