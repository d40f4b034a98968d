import { buildApp, loggerOptions } from './app.ts';
import { needsBootstrap } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { systemClock } from './lib/clock.ts';
import { openRuntime } from './runtime.ts';

/** Starts the service: migrate, listen, and shut down cleanly on SIGINT/SIGTERM. */
export async function serve(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  const { database, keys } = await openRuntime(config);
  const { app } = await buildApp(
    { database, keys, clock: systemClock, publicUrl: config.publicUrl, externalJwt: config.externalJwt },
    { logger: loggerOptions(config.logLevel), bodyLimit: config.bodyLimit, trustProxy: config.trustProxy },
  );
  await app.listen({ host: config.host, port: config.port });
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
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  return app;
}
