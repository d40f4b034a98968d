import type { MemoAt } from '../lib/versioned-memo.ts';
import type { UserRecord } from './user-record.ts';

export const SCOPES = [
  'organizations:read',
  'organizations:write',
  'members:read',
  'members:write',
  'resources:read',
  'resources:write',
  'invitations:read',
  'invitations:write',
  'invitations:respond',
  'users:read',
  'users:write',
  'keys:read',
  'keys:write',
  'events:read',
  'webhooks:read',
  'webhooks:write',
  /** Instance operations an instance admin reads: metrics, the dev mailbox. */
  'instance:read',
] as const;
export type Scope = (typeof SCOPES)[number];

export type AuthMethod =
  | 'api_key'
  | 'session'
  | 'basic_password'
  | 'basic_api_key'
  | 'jwt'
  | 'external_jwt'
  | 'operator';

/** Who is calling: always a user, possibly narrowed by the scopes of the key that authenticated them. */
export interface Principal {
  method: AuthMethod;
  user: UserRecord;
  apiKeyId: string | null;
  scopes: ReadonlySet<Scope> | 'all';
  /** Where the request came from, for the audit trail; `ip` honours trusted proxies only. */
  client?: { ip: string; userAgent: string | null } | undefined;
  /**
   * A cached API key's organization access as of the access epoch this request read
   * (`organizationAccess` reads and fills it outside transactions); absent for other methods.
   */
  organizationMemo?: MemoAt<unknown> | undefined;
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes === 'all' || principal.scopes.has(scope);
}

/** Stable identity for per-principal state such as idempotency keys. */
export function principalId(principal: Principal): string {
  return principal.apiKeyId ? `${principal.user.id}/${principal.apiKeyId}` : principal.user.id;
}
