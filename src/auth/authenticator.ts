import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { type Principal, SCOPES, type Scope } from '../access/principal.ts';
import type { AccountCreatedHook, UserRecord } from '../access/user-record.ts';
import type { ExternalJwtConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import type { Clock } from '../lib/clock.ts';
import { canonicalEmail, checkEmail } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { newId, newUuid } from '../lib/ids.ts';
import { API_KEY_PREFIX, constantTimeEqual, isWellFormedTypedSecret, sha256 } from '../lib/secrets.ts';
import { nameHidesCharacters } from '../lib/visible-text.ts';
import { burnPasswordCheck, verifyPassword } from '../users/passwords.ts';
import {
  findUserByCanonicalEmail,
  findUserByExternalId,
  findUserById,
  findUserByUsername,
  insertUser,
  updateUser,
} from '../users/user.repository.ts';
import { type ApiKeyRecord, findApiKey, revokeApiKeysOfUser, touchApiKey } from './api-key.repository.ts';
import { PrincipalCache } from './principal-cache.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';

export const REALM = 'rsvp';
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
const LAST_USED_RESOLUTION_MS = 60_000;

export function unauthenticated(detail: string, error?: 'invalid_token' | 'invalid_request'): AppError {
  const bearer = error ? `Bearer realm="${REALM}", error="${error}"` : `Bearer realm="${REALM}"`;
  return new AppError(401, 'unauthenticated', 'Authentication required', detail, {
    // One challenge per header: browsers and some clients read only the first of a combined list.
    headers: { 'www-authenticate': [bearer, `Basic realm="${REALM}", charset="UTF-8"`] },
  });
}

export interface RequestCredentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
  /** The client's address (`request.ip`): failed passwords and key secrets are counted by it. */
  clientIp: string;
}

export interface OperatorGrant {
  /** Random per process; only the CLI, talking to an in-process app, knows it. */
  token: string;
  userId: string;
}

/**
 * Turns request credentials into a principal. Accepted: API keys (`Authorization: Bearer` or
 * `X-API-Key`), HTTP Basic (email or username and password, or key id and secret), bearer
 * JWTs minted at /oauth/token (HS256 only) and, when configured, JWTs of an external issuer
 * (its JWKS, its pinned asymmetric algorithms, issuer and audience checked).
 */
/** Moves whenever the account's password or identity-provider link changes (see `mintAccessToken`). */
const tokenCredentialTag = (user: UserRecord) =>
  sha256(`access-token:${user.passwordHash ?? ''}:${user.externalId ?? ''}`).slice(0, 32);

export class Authenticator {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #keys: InstanceKeys;
  readonly #issuer: string;
  readonly #external: ExternalJwtConfig | undefined;
  readonly #jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  readonly #operator: OperatorGrant | undefined;
  readonly #throttle: SignInThrottle;
  readonly #cache = new PrincipalCache();
  readonly #onAccountCreated: AccountCreatedHook;

  constructor(deps: {
    database: Database;
    clock: Clock;
    keys: InstanceKeys;
    publicUrl: string;
    externalJwt?: ExternalJwtConfig | undefined;
    operator?: OperatorGrant | undefined;
    throttle: SignInThrottle;
    onAccountCreated?: AccountCreatedHook | undefined;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#keys = deps.keys;
    this.#issuer = deps.publicUrl;
    this.#external = deps.externalJwt;
    this.#jwks = deps.externalJwt ? createRemoteJWKSet(new URL(deps.externalJwt.jwksUrl)) : undefined;
    this.#operator = deps.operator;
    this.#throttle = deps.throttle;
    this.#onAccountCreated = deps.onAccountCreated ?? (async () => {});
  }

  /** Null when the request carries no credentials at all; throws 401 when it carries bad ones. */
  async authenticate(credentials: RequestCredentials): Promise<Principal | null> {
    const { authorization, apiKey, clientIp } = credentials;
    if (apiKey !== undefined) return this.#fromApiKeySecret(apiKey.trim(), 'api_key');
    if (authorization === undefined) return null;
    const space = authorization.indexOf(' ');
    const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space === -1 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer') {
      if (value.startsWith(API_KEY_PREFIX)) return this.#fromApiKeySecret(value, 'api_key');
      return this.#fromJwt(value);
    }
    if (scheme === 'basic') return this.#fromBasic(value, clientIp);
    if (scheme === 'operator' && this.#operator && constantTimeEqual(value, this.#operator.token)) {
      const user = await findUserById(this.#database.db, this.#operator.userId);
      if (user) return { method: 'operator', user, apiKeyId: null, scopes: 'all' };
    }
    throw unauthenticated('Unsupported authorization scheme; use Bearer or Basic.', 'invalid_request');
  }

  /**
   * Verifies an API key's id and secret, for Basic and for the client-credentials grant.
   * Failures are limited per key id and client address (429 once spent).
   */
  async verifyKeyIdAndSecret(keyId: string, secret: string, clientIp: string): Promise<Principal> {
    // No key id holds a NUL (PostgreSQL would refuse the lookup): the same answer on every engine.
    if (keyId.includes('\0')) throw unauthenticated('Unknown API key id or wrong secret.', 'invalid_token');
    return this.#throttle.guard(`key:${keyId}`, clientIp, 'key', async () => {
      const key = await findApiKey(this.#database.db, keyId);
      if (!key || !constantTimeEqual(key.secretHash, sha256(secret))) {
        throw unauthenticated('Unknown API key id or wrong secret.', 'invalid_token');
      }
      return this.#principalForKey(key, 'basic_api_key');
    });
  }

  async mintAccessToken(principal: Principal): Promise<{ token: string; expiresIn: number; scope: string }> {
    const scopes = principal.scopes === 'all' ? [...SCOPES] : [...principal.scopes];
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    // A token minted without a key stands for the account's credentials as they are now: a new
    // password or a takeover (identity provider link) ends it, as it ends browser sessions.
    const claims = {
      scope: scopes.join(' '),
      key_id: principal.apiKeyId,
      ...(principal.apiKeyId ? {} : { ct: tokenCredentialTag(principal.user) }),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(this.#issuer)
      .setAudience(this.#issuer)
      .setSubject(principal.user.id)
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_TTL_SECONDS)
      .setJti(newUuid())
      .sign(this.#keys.jwtSigning);
    return { token, expiresIn: ACCESS_TOKEN_TTL_SECONDS, scope: scopes.join(' ') };
  }

  async #fromApiKeySecret(secret: string, method: 'api_key'): Promise<Principal> {
    const secretHash = sha256(secret);
    // A cached key was well-formed when first seen; only a miss needs the checksum.
    const found = await this.#cache.find(this.#database.db, secretHash, () => {
      if (!isWellFormedTypedSecret(API_KEY_PREFIX, secret)) {
        throw unauthenticated('The API key is malformed.', 'invalid_token');
      }
    });
    if (!found) throw unauthenticated('The API key is not valid.', 'invalid_token');
    const principal = await this.#principalForKey(found.key, method, found.user, secretHash);
    principal.organizationMemo = found.organizations;
    return principal;
  }

  async #principalForKey(
    key: ApiKeyRecord,
    method: Principal['method'],
    knownUser?: UserRecord,
    cachedBy?: string,
  ): Promise<Principal> {
    const now = this.#clock.now();
    if (key.revokedAt) throw unauthenticated('The API key was revoked.', 'invalid_token');
    if (key.expiresAt && key.expiresAt <= now)
      throw unauthenticated('The API key has expired.', 'invalid_token');
    if (knownUser && knownUser.status !== 'active') {
      throw unauthenticated('The account is not active.', 'invalid_token');
    }
    const user = knownUser ?? (await this.#activeUser(key.userId));
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await touchApiKey(this.#database.db, key.id, now);
      if (cachedBy) this.#cache.touched(cachedBy, now);
    }
    const scopes = key.scopes[0] === '*' ? 'all' : new Set(key.scopes as Scope[]);
    return { method, user, apiKeyId: key.id, scopes };
  }

  /** The principal of a browser session's user; null when the user is gone or not active. */
  async sessionPrincipal(userId: string): Promise<Principal | null> {
    const user = await findUserById(this.#database.db, userId);
    if (user?.status !== 'active') return null;
    return { method: 'session', user, apiKeyId: null, scopes: 'all' };
  }

  async #activeUser(userId: string): Promise<UserRecord> {
    const user = await findUserById(this.#database.db, userId);
    if (user?.status !== 'active') throw unauthenticated('The account is not active.', 'invalid_token');
    return user;
  }

  async #fromBasic(encoded: string, clientIp: string): Promise<Principal> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0 || decoded.includes('\0'))
      throw unauthenticated('Malformed Basic credentials.', 'invalid_request');
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    if (/^key_[0-9a-v]{20}$/.test(username)) return this.verifyKeyIdAndSecret(username, password, clientIp);
    return this.signInWithPassword(username, password, clientIp);
  }

  /**
   * Email or username and password; one answer for every failure, and the same time taken.
   * Failures are limited per account and client address, and per address (429 once spent).
   */
  async signInWithPassword(username: string, password: string, clientIp: string): Promise<Principal> {
    const byEmail = username.includes('@');
    const account = byEmail ? canonicalEmail(username) : `user:${username.toLowerCase()}`;
    return this.#throttle.guard(account, clientIp, 'password', async () => {
      const user = byEmail
        ? await findUserByCanonicalEmail(this.#database.db, account)
        : await findUserByUsername(this.#database.db, username);
      if (!user?.passwordHash) {
        await burnPasswordCheck(password);
        throw unauthenticated('Wrong username or password.');
      }
      if (!(await verifyPassword(user.passwordHash, password)) || user.status !== 'active') {
        throw unauthenticated('Wrong username or password.');
      }
      return { method: 'basic_password' as const, user, apiKeyId: null, scopes: 'all' as const };
    });
  }

  async #fromJwt(token: string): Promise<Principal> {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw unauthenticated('The bearer token is neither an API key nor a JWT.', 'invalid_token');
    }
    if (claims.iss === this.#issuer) return this.#fromOwnJwt(token);
    if (this.#external && claims.iss === this.#external.issuer) return this.#fromExternalJwt(token);
    throw unauthenticated('The token was not issued by a trusted issuer.', 'invalid_token');
  }

  async #fromOwnJwt(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keys.jwtSigning, {
        algorithms: ['HS256'],
        issuer: this.#issuer,
        audience: this.#issuer,
        typ: 'at+jwt',
        currentDate: this.#clock.now(),
      }));
    } catch {
      throw unauthenticated('The access token is invalid or expired.', 'invalid_token');
    }
    const keyId = typeof payload.key_id === 'string' ? payload.key_id : null;
    if (keyId) {
      // A revoked key takes its access tokens with it.
      const key = await findApiKey(this.#database.db, keyId);
      if (!key || key.revokedAt || key.userId !== payload.sub) {
        throw unauthenticated('The key behind this token was revoked.', 'invalid_token');
      }
    }
    const user = await this.#activeUser(String(payload.sub));
    if (!keyId && payload.ct !== tokenCredentialTag(user)) {
      throw unauthenticated(
        "The account's password or sign-in changed since this token was issued.",
        'invalid_token',
      );
    }
    const granted = String(payload.scope ?? '')
      .split(' ')
      .filter((scope): scope is Scope => (SCOPES as readonly string[]).includes(scope));
    return { method: 'jwt', user, apiKeyId: keyId, scopes: new Set(granted) };
  }

  async #fromExternalJwt(token: string): Promise<Principal> {
    const external = this.#external!;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#jwks!, {
        algorithms: external.algorithms,
        issuer: external.issuer,
        audience: external.audience,
        currentDate: this.#clock.now(),
      }));
    } catch {
      throw unauthenticated('The access token is invalid or expired.', 'invalid_token');
    }
    if (!payload.sub) throw unauthenticated('The access token has no subject.', 'invalid_token');
    const externalId = `${external.issuer}|${payload.sub}`;
    const db = this.#database.db;
    let user = await findUserByExternalId(db, externalId);
    if (!user) {
      const email = payload[external.emailClaim];
      if (typeof email !== 'string' || checkEmail(email) !== null || payload.email_verified === false) {
        throw unauthenticated('The access token carries no verified email address.', 'invalid_token');
      }
      const now = this.#clock.now();
      // Only an address the provider vouches for (`email_verified: true`) may take over an
      // account that already holds it, or stand for its domain (join links, verified domains).
      const vouched = payload.email_verified === true;
      const existing = await findUserByCanonicalEmail(db, canonicalEmail(email));
      // An account linked to another identity whose address nobody proved (a provider that did
      // not vouch for it) is the vouched owner's to take over, as an unlinked one is.
      const claimable = existing && (existing.externalId === null || (vouched && !existing.emailVerified));
      if (existing && existing.externalId === null && !vouched && existing.status !== 'placeholder') {
        throw unauthenticated(
          'The identity provider does not say this address is verified; it cannot sign in to an existing account.',
          'invalid_token',
        );
      }
      if (existing && claimable) {
        // An account whose address nobody proved becomes the vouched owner's: whoever made it
        // from a handed-out link loses its password (and so its sessions) and its API keys.
        const takeOver = vouched && !existing.emailVerified && existing.status !== 'placeholder';
        await db.transaction().execute(async (trx) => {
          await updateUser(trx, existing.id, {
            externalId,
            status: existing.status === 'placeholder' ? 'active' : existing.status,
            emailVerified: existing.emailVerified || vouched,
            ...(takeOver ? { passwordHash: null, displayName: null } : {}),
            updatedAt: now,
          });
          if (takeOver) await revokeApiKeysOfUser(trx, existing.id, now);
        });
        user = await findUserById(db, existing.id);
      } else if (!existing) {
        // A provider's name that hides characters is left out rather than shown to admins as given.
        const name =
          typeof payload.name === 'string' && !nameHidesCharacters(payload.name)
            ? payload.name.slice(0, 200)
            : null;
        user = {
          id: newId('usr', now),
          uuid: newUuid(),
          email: email.trim(),
          emailCanonical: canonicalEmail(email),
          username: null,
          displayName: name,
          passwordHash: null,
          status: 'active',
          isInstanceAdmin: false,
          externalId,
          emailVerified: vouched,
          createdAt: now,
          updatedAt: now,
        };
        const created: UserRecord = user;
        await db.transaction().execute(async (trx) => {
          await insertUser(trx, created);
          await this.#onAccountCreated(trx, created, now);
        });
      } else {
        throw unauthenticated('The email address belongs to another identity.', 'invalid_token');
      }
    }
    if (user?.status !== 'active') throw unauthenticated('The account is not active.', 'invalid_token');
    return { method: 'external_jwt', user, apiKeyId: null, scopes: 'all' };
  }
}
