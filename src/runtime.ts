import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { type InstanceKeys, loadInstanceKeys } from './instance/instance-keys.ts';

/** Opens the configured database, migrates it and loads the instance keys. */
export async function openRuntime(
  config: Config,
  onIdleError?: (error: Error) => void,
): Promise<{ database: Database; keys: InstanceKeys }> {
  const database = openDatabase({
    url: config.databaseUrl,
    poolSize: config.dbPoolSize,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    onIdleError,
  });
  await migrateToLatest(database);
  const keys = await loadInstanceKeys(database, config.secret);
  return { database, keys };
}
