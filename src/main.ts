import { Resolver } from 'node:dns/promises';
import { Metrics } from './api/metrics.ts';
import { buildApp, loggerOptions } from './app.ts';
import { needsBootstrap } from './bootstrap.ts';
import { type Config, type DialectName, loadConfig } from './config.ts';
import type { Database } from './db/database.ts';
import { createDelivery } from './delivery/delivery.ts';
import type { DialectOptions } from './dialects/dialect-app.ts';
import type { App } from './http/app-types.ts';
import type { InstanceKeys } from './instance/instance-keys.ts';
import { recordPublicUrl } from './instance/public-url.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import { MemoryRateLimiter, RedisRateLimiter } from './lib/rate-limiter.ts';
import { openRuntime } from './runtime.ts';
import type { Services } from './services.ts';

/** TXT lookups through the configured resolvers, or the system's when none are named. */
function txtResolver(servers: string[]) {
  if (servers.length === 0) return undefined;
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  resolver.setServers(servers);
  return (name: string) => resolver.resolveTxt(name);
}

/** How long in-flight requests may run on after SIGTERM before their connections are closed. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Each dialect's app, loaded only when configured: a process serves the ones it listens for. */
const DIALECTS: Record<
  DialectName,
  (
    services: Services,
    keys: InstanceKeys,
    options: DialectOptions,
    urls: { publicUrl: string; listenerUrl: string },
  ) => Promise<App>
> = {
  tiledb: async (services, _keys, options) =>
    (await import('./dialects/tiledb/tiledb.app.ts')).buildTiledbApp(services, options),
  trieve: async (services, _keys, options, { publicUrl }) =>
    (await import('./dialects/trieve/trieve.app.ts')).buildTrieveApp(services, { publicUrl }, options),
  cvat: async (services, keys, options, urls) =>
    (await import('./dialects/cvat/cvat.app.ts')).buildCvatApp(
      services,
      { keyMac: keys.pageTokenSigning, sessionKey: keys.sessionSigning, clock: systemClock, ...urls },
      options,
    ),
  confluent: async (services, keys, options, { listenerUrl }) =>
    (await import('./dialects/confluent/confluent.app.ts')).buildConfluentApp(
      services,
      { pageTokenKey: keys.pageTokenSigning, listenerUrl },
      options,
    ),
};

/** Starts the service: migrate, listen, deliver, and shut down cleanly on SIGINT/SIGTERM. */
export async function serve(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  // The app's logger exists once the app is built; the database and limiter come before it.
  let log: App['log'] | undefined;
  // Message and code only: pg-pool attaches the client, and with it the connection settings.
  const { database, keys } = await openRuntime(config, (error) =>
    log?.warn(
      { cause: error.message, code: (error as { code?: unknown }).code },
      'database connection lost while idle; the pool replaces it',
    ),
  );
  const clock = systemClock;
  const rateLimiter = rateLimiterFor(config, clock, () => log);
  let delivery: ReturnType<typeof createDelivery> | undefined;
  const metrics = new Metrics();
  const { app, services } = await buildApp(
    {
      database,
      keys,
      clock,
      publicUrl: config.publicUrl,
      externalJwt: config.externalJwt,
      rateLimiter,
      abuseLimits: config.abuseLimits,
      allowedAppOrigins: config.allowedAppOrigins,
      allowPrivateWebhooks: config.allowPrivateWebhooks,
      resolveTxt: txtResolver(config.dnsServers),
      onQueued: () => delivery?.nudge(),
    },
    {
      logger: loggerOptions(config.logLevel),
      bodyLimit: config.bodyLimit,
      trustProxy: config.trustProxy,
      devMailbox: !config.smtp,
      metricsToken: config.metricsToken,
      metrics,
    },
  );
  log = app.log;
  delivery = createDelivery({
    database,
    clock,
    keys,
    logger: app.log,
    config,
    onSettled: (attempt) => metrics.settled(attempt),
    sweepTasks: [services.domains.recheckTask],
  });
  const dialects: App[] = [];
  const shutdown = gracefulShutdown({
    app,
    dialects,
    stop: async () => {
      await delivery?.stop();
      await rateLimiter.close();
      await database.close();
    },
  });
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
  dialects.push(...(await listenDialects(config, app, services, keys)));
  // The CLI, run beside this server without its settings, writes links to where it answers.
  await recordPublicUrl(database.db, config.publicUrl, clock.now());
  if (config.workers) delivery.start();
  await announceReady(config, app, database);
  return app;
}

/** Shared counters in Redis when configured, else in this process. */
function rateLimiterFor(config: Config, clock: Clock, log: () => App['log'] | undefined) {
  return config.redisUrl
    ? new RedisRateLimiter(config.redisUrl, {
        clock,
        logger: {
          warn: (obj, msg) => log()?.warn(obj, msg),
          info: (obj, msg) => log()?.info(obj, msg),
        },
      })
    : new MemoryRateLimiter(clock);
}

/** Each configured dialect on its own listener, sharing the native app's services and logger. */
async function listenDialects(
  config: Config,
  app: App,
  services: Services,
  keys: InstanceKeys,
): Promise<App[]> {
  const listening: App[] = [];
  for (const dialect of config.dialects) {
    const dialectApp = await DIALECTS[dialect.name](
      services,
      keys,
      {
        loggerInstance: app.log.child({ dialect: dialect.name }),
        bodyLimit: config.bodyLimit,
        trustProxy: config.trustProxy,
      },
      { publicUrl: config.publicUrl, listenerUrl: dialect.publicUrl },
    );
    await dialectApp.listen({ host: config.host, port: dialect.port });
    listening.push(dialectApp);
  }
  return listening;
}

/** What the operator reads at start: where data, mail and limits go, and what to do next. */
async function announceReady(config: Config, app: App, database: Database) {
  app.log.info(
    {
      database: database.engine,
      mail: config.smtp ? 'smtp' : 'capture (dev mailbox at /dev/mailbox)',
      rate_limits: config.redisUrl ? 'redis' : 'in-process',
      workers: config.workers,
      dialects: config.dialects.map((d) => `${d.name} on :${d.port}`),
    },
    'rsvp ready',
  );
  for (const warning of config.warnings) app.log.warn(warning);
  app.log.info(
    config.smtp
      ? `email: sent through the SMTP server at ${new URL(config.smtp.url).host}`
      : `email: not sent (no SMTP_URL); captured for reading at ${config.publicUrl}/dev/mailbox`,
  );
  if (!config.secret) {
    app.log.warn('RSVP_SECRET is not set: using a secret generated and kept in the database');
  }
  if (await needsBootstrap(database)) {
    app.log.info(
      'empty instance: create the first admin, organization and API key with ' +
        '`npm run rsvp -- bootstrap --email you@example.com --org acme`',
    );
  }
}

/**
 * Stop accepting, let in-flight requests finish, then release workers and connections, and
 * exit. A request that outlives the grace period is cut off rather than holding the process.
 */
function gracefulShutdown(parts: { app: App; dialects: App[]; stop: () => Promise<void> }) {
  const { app, dialects } = parts;
  let closing = false;
  return async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const deadline = setTimeout(() => {
      app.log.error({ grace_ms: SHUTDOWN_GRACE_MS }, 'shutdown took too long: closing open connections');
      app.server.closeAllConnections();
      for (const dialect of dialects) dialect.server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    deadline.unref();
    let code = 0;
    try {
      await Promise.all([app.close(), ...dialects.map((dialect) => dialect.close())]);
      await parts.stop();
      app.log.info('stopped');
    } catch (error) {
      code = 1;
      app.log.error({ err: error }, 'error while shutting down');
    }
    process.exit(code);
  };
}
