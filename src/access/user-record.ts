import type { Executor } from '../db/database.ts';

/** A user as the code sees it; every principal is one. */
export interface UserRecord {
  id: string;
  /** The integer number, when read from the database. */
  seq?: number;
  uuid: string;
  email: string;
  emailCanonical: string;
  username: string | null;
  displayName: string | null;
  passwordHash: string | null;
  status: 'active' | 'placeholder' | 'deactivated';
  isInstanceAdmin: boolean;
  externalId: string | null;
  /**
   * The address is proven to be the account owner's (an admin made the account, an emailed link,
   * an identity provider's word). Only such an address may stand for its domain: join links'
   * allowed domain, verified domains, invitations answered without their link.
   */
  emailVerified: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Told of each account created (registered, or signed in for the first time through an external
 * identity provider), in the creating transaction: the composition root passes the domain
 * auto-join here, which the user folders cannot import.
 */
export type AccountCreatedHook = (trx: Executor, user: UserRecord, now: Date) => Promise<void>;
