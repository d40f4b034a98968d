import { buildApp, loggerOptions } from './app.ts';
import { needsBootstrap } from './bootstrap.ts';
import { type DialectName, loadConfig } from './config.ts';
import { createDelivery } from './delivery/delivery.ts';
import { buildConfluentApp } from './dialects/confluent/confluent.app.ts';
import { buildCvatApp } from './dialects/cvat/cvat.app.ts';
import type { DialectOptions } from './dialects/dialect-app.ts';
import { buildTiledbApp } from './dialects/tiledb/tiledb.app.ts';
import { buildTrieveApp } from './dialects/trieve/trieve.app.ts';
import type { App } from './http/app-types.ts';
import { MemoryRateLimiter, RedisRateLimiter } from './http/rate-limiter.ts';
import type { InstanceKeys } from './instance/instance-keys.ts';
import { systemClock } from './lib/clock.ts';
import { openRuntime } from './runtime.ts';
import type { Services } from './services.ts';

const DIALECTS: Record<
  DialectName,
  (
    services: Services,
    keys: InstanceKeys,
    options: DialectOptions,
    urls: { publicUrl: string; listenerUrl: string },
  ) => App
> = {
  tiledb: (services, _keys, options) => buildTiledbApp(services, options),
  trieve: (services, _keys, options, { publicUrl }) => buildTrieveApp(services, { publicUrl }, options),
  cvat: (services, keys, options, urls) =>
    buildCvatApp(
      services,
      { keyMac: keys.pageTokenSigning, sessionKey: keys.sessionSigning, clock: systemClock, ...urls },
      options,
    ),
  confluent: (services, keys, options, { listenerUrl }) =>
    buildConfluentApp(services, { pageTokenKey: keys.pageTokenSigning, listenerUrl }, options),
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
  const rateLimiter = config.redisUrl
    ? new RedisRateLimiter(config.redisUrl, {
        clock,
        logger: {
          warn: (obj, msg) => log?.warn(obj, msg),
          info: (obj, msg) => log?.info(obj, msg),
        },
      })
    : new MemoryRateLimiter(clock);
  let delivery: ReturnType<typeof createDelivery> | undefined;
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
      onQueued: () => delivery?.nudge(),
    },
    {
      logger: loggerOptions(config.logLevel),
      bodyLimit: config.bodyLimit,
      trustProxy: config.trustProxy,
      devMailbox: !config.smtp,
      metricsToken: config.metricsToken,
    },
  );
  log = app.log;
  delivery = createDelivery({ database, clock, keys, logger: app.log, config });
  await app.listen({ host: config.host, port: config.port });
  const dialects: App[] = [];
  for (const dialect of config.dialects) {
    const dialectApp = DIALECTS[dialect.name](
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
    dialects.push(dialectApp);
  }
  if (config.workers) delivery.start();
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
  if (!config.secret) {
    app.log.warn('RSVP_SECRET is not set: using a secret generated and kept in the database');
  }
  if (await needsBootstrap(database)) {
    app.log.info(
      'empty instance: create the first admin, organization and API key with ' +
        '`node src/cli/main.ts bootstrap --email you@example.com --org acme`',
    );
  }
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await Promise.all([app.close(), ...dialects.map((dialect) => dialect.close())]);
    await delivery?.stop();
    await rateLimiter.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  return app;
}
