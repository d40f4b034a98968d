import { AsyncLocalStorage } from 'node:async_hooks';
import type { ControlledTransaction, Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';

/**
 * A request that runs in one database transaction of its own (an idempotent request: its
 * effect and its recorded response commit together). While `trx` is set, every query the
 * request's services make through a `requestScoped` database joins it, and their own
 * transactions become savepoints inside it.
 */
interface RequestScope {
  trx: ControlledTransaction<DB> | undefined;
  view: Kysely<DB> | undefined;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` (the rest of a request) in a scope that `beginRequestTransaction` can fill. */
export function runInRequestScope(fn: () => void): void {
  storage.run({ trx: undefined, view: undefined }, fn);
}

/** The database the services use: the request's transaction when there is one, else `database`. */
export function requestScoped(database: Database): Database {
  return {
    engine: database.engine,
    get db() {
      return storage.getStore()?.view ?? database.db;
    },
    close: () => database.close(),
  };
}

/** Starts the request's transaction on `database` (the unscoped one); undefined outside a request. */
export async function beginRequestTransaction(
  database: Database,
): Promise<ControlledTransaction<DB> | undefined> {
  const scope = storage.getStore();
  if (!scope) return undefined;
  const trx = await database.db.startTransaction().execute();
  scope.trx = trx;
  scope.view = nestable(trx);
  return trx;
}

/**
 * Detaches the request's transaction and ends it: commit or rollback. Queries made afterwards
 * in the request (or by work it started) go to the database directly.
 */
export async function endRequestTransaction(outcome: 'commit' | 'rollback'): Promise<void> {
  const scope = storage.getStore();
  const trx = scope?.trx;
  if (!scope || !trx) return;
  scope.trx = undefined;
  scope.view = undefined;
  if (outcome === 'commit') await trx.commit().execute();
  else await trx.rollback().execute();
}

export function requestTransaction(): ControlledTransaction<DB> | undefined {
  return storage.getStore()?.trx;
}

/**
 * The transaction as the services see it: `transaction().execute(fn)` runs `fn` in a savepoint,
 * so a use case that fails rolls back its own writes exactly as its own transaction would.
 */
function nestable(trx: ControlledTransaction<DB>): Kysely<DB> {
  let savepoints = 0;
  const transaction = () => {
    const builder = {
      setIsolationLevel: () => builder,
      setAccessMode: () => builder,
      execute: async <T>(fn: (inner: Transaction<DB>) => Promise<T>): Promise<T> => {
        const name = `rsvp_sp_${++savepoints}`;
        const inner = await trx.savepoint(name).execute();
        let result: T;
        try {
          result = await fn(inner);
        } catch (error) {
          await inner.rollbackToSavepoint(name).execute();
          throw error;
        }
        await inner.releaseSavepoint(name).execute();
        return result;
      },
    };
    return builder;
  };
  return new Proxy(trx, {
    get(target, property) {
      if (property === 'transaction') return transaction;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as Kysely<DB>;
}
