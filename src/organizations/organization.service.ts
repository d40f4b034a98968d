import type { Principal } from '../access/principal.ts';
import { catalogProblems, findRole, ownerRole } from '../access/roles.ts';
import { type Database, isUniqueViolation } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { newId, newUuid } from '../lib/ids.ts';
import { sha256 } from '../lib/secrets.ts';
import { organizationAccess, requireAdmin } from './organization.access.ts';
import {
  findOrganization,
  findOrganizationBySeq,
  insertOrganizationWithOwner,
  listOrganizationsForUser,
  lockOrganization,
  type OrganizationRecord,
  rolesInUse,
  updateOrganization,
} from './organization.repository.ts';
import { type OrganizationSettings, OrganizationSettingsSchema } from './organization.schemas.ts';

export class OrganizationService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #allowedAppOrigins: readonly string[];
  constructor(deps: { database: Database; clock: Clock; allowedAppOrigins: readonly string[] }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#allowedAppOrigins = deps.allowedAppOrigins;
  }

  /** Creates an organization with the caller as its owner. */
  async create(
    principal: Principal,
    input: { slug: string; name: string; settings?: Partial<OrganizationSettings> | undefined },
  ): Promise<{ organization: OrganizationRecord; role: string }> {
    const now = this.#clock.now();
    const settings = validSettings(
      OrganizationSettingsSchema.parse(input.settings ?? {}),
      this.#allowedAppOrigins,
    );
    const organization: OrganizationRecord = {
      id: newId('org', now),
      uuid: newUuid(),
      slug: input.slug,
      name: input.name,
      settings,
      createdAt: now,
      updatedAt: now,
    };
    const owner = ownerRole(settings.roles).name;
    try {
      await this.#database.db.transaction().execute(async (trx) => {
        await insertOrganizationWithOwner(trx, organization, { userId: principal.user.id, role: owner });
        await recordAudit(trx, {
          type: 'organization.created',
          organizationId: organization.id,
          subject: { type: 'organization', id: organization.id },
          actor: principal,
          now,
          data: { slug: organization.slug, name: organization.name },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(409, 'slug_taken', 'Slug taken', `The slug "${input.slug}" is already in use.`, {
          extras: { errors: [{ pointer: '/body/slug', detail: 'already in use' }] },
        });
      }
      throw error;
    }
    return { organization, role: owner };
  }

  /** An organization by its integer number, without access checks (callers check membership). */
  async findBySeq(seq: number): Promise<OrganizationRecord | undefined> {
    return findOrganizationBySeq(this.#database.db, seq);
  }

  /** An organization by id, slug or UUID, without access checks. */
  async find(ref: string): Promise<OrganizationRecord | undefined> {
    return findOrganization(this.#database.db, ref);
  }

  async get(principal: Principal, ref: string) {
    const access = await organizationAccess(this.#database.db, principal, ref);
    return { organization: access.organization, role: access.role?.name ?? null };
  }

  /**
   * The organization an API without an organization parameter acts in: the caller's only
   * organization. A caller in several must name one (`parameter`); rsvp never picks for them,
   * since an organization they joined later would silently become where their calls land.
   */
  async soleOrganizationOf(principal: Principal, parameter: string): Promise<OrganizationRecord> {
    const organizations = await listOrganizationsForUser(this.#database.db, {
      userId: principal.user.id,
      allForInstanceAdmin: false,
      limit: 2,
    });
    if (organizations.length === 0) {
      throw new AppError(403, 'no_organization', 'No organization', 'You belong to no organization.');
    }
    if (organizations.length > 1) {
      throw new AppError(
        400,
        'organization_required',
        'Organization required',
        `You belong to several organizations: name the one to act in with ${parameter}.`,
        { extras: { parameter } },
      );
    }
    return organizations[0]!;
  }

  list(principal: Principal, options: { afterId?: string | undefined; limit: number }) {
    return listOrganizationsForUser(this.#database.db, {
      userId: principal.user.id,
      allForInstanceAdmin: principal.user.isInstanceAdmin,
      ...options,
    });
  }

  /**
   * Changes name and settings. Admins change settings; only the owner changes the role
   * catalog, and no role still held by a member or offered by a pending invitation may vanish.
   * The merge reads the settings under the organization's lock, so concurrent changes of
   * different settings all survive. With `ifMatch` (ETags from `organizationEtag`), only the
   * state the caller saw is changed: 412 otherwise.
   */
  async update(
    principal: Principal,
    ref: string,
    input: { name?: string | undefined; settings?: Partial<OrganizationSettings> | undefined },
    ifMatch?: readonly string[] | undefined,
  ) {
    const db = this.#database.db;
    const first = await organizationAccess(db, principal, ref);
    requireAdmin(first, 'change the organization');
    const id = first.organization.id;
    const now = this.#clock.now();
    const access = await db.transaction().execute(async (trx) => {
      await lockOrganization(trx, this.#database.engine, id);
      // Read again under the lock: the caller's role and the settings as they are now.
      const access = await organizationAccess(trx, principal, id);
      requireAdmin(access, 'change the organization');
      const current = access.organization;
      if (ifMatch !== undefined && !ifMatch.includes(organizationEtag(current))) {
        throw new AppError(
          412,
          'precondition_failed',
          'Precondition failed',
          'The organization changed since you read it; fetch it again and retry with its new ETag.',
          { extras: { etag: organizationEtag(current) } },
        );
      }
      const settings = input.settings
        ? validSettings({ ...current.settings, ...input.settings }, this.#allowedAppOrigins)
        : undefined;
      if (settings && input.settings?.roles) {
        if (access.rank < ownerRole(current.settings.roles).rank) {
          throw new AppError(
            403,
            'owner_role_required',
            'Owner role required',
            'Only owners change the role catalog.',
          );
        }
        const names = new Set(settings.roles.map((role) => role.name));
        const used = await rolesInUse(trx, id);
        const missing = used.filter((role) => !names.has(role));
        if (missing.length > 0) {
          throw new AppError(
            409,
            'role_in_use',
            'Role in use',
            `Roles still in use cannot be removed: ${missing.join(', ')}.`,
            {
              extras: { roles: missing },
            },
          );
        }
      }
      await updateOrganization(trx, id, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(settings !== undefined ? { settings } : {}),
        updatedAt: now,
      });
      await recordAudit(trx, {
        type: 'organization.updated',
        organizationId: id,
        subject: { type: 'organization', id },
        actor: principal,
        now,
        data: {
          fields: [
            ...(input.name !== undefined ? ['name'] : []),
            ...Object.keys(input.settings ?? {}).map((key) => `settings.${key}`),
          ],
        },
      });
      return access;
    });
    const organization = (await findOrganization(db, id))!;
    return { organization, role: access.role?.name ?? null };
  }
}

/**
 * A strong ETag of what a client can change (name and settings): equal ETags mean equal state,
 * so a change conditioned on it never overwrites something the client did not see.
 */
export function organizationEtag(organization: OrganizationRecord): string {
  return `"${sha256(JSON.stringify([organization.name, organization.settings])).slice(0, 32)}"`;
}

function validSettings(
  settings: OrganizationSettings,
  allowedAppOrigins: readonly string[],
): OrganizationSettings {
  const problems = catalogProblems(settings.roles);
  if (settings.app_url !== null && !isAllowedAppUrl(settings.app_url, allowedAppOrigins)) {
    problems.push(
      `app_url's origin ${new URL(settings.app_url).origin} is not in this instance's APP_URL_ALLOWED_ORIGINS`,
    );
  }
  if (!findRole(settings.roles, settings.default_role)) {
    problems.push(`default_role "${settings.default_role}" is not in the role catalog`);
  }
  if (problems.length > 0) {
    throw new AppError(422, 'invalid_settings', 'Invalid settings', problems.join('; '), {
      extras: { errors: problems.map((detail) => ({ pointer: '/body/settings', detail })) },
    });
  }
  return settings;
}

/** Invitees are only ever sent to an app URL whose origin the operator listed: no open redirect. */
export function isAllowedAppUrl(url: string, allowedOrigins: readonly string[]): boolean {
  try {
    return allowedOrigins.includes(new URL(url).origin);
  } catch {
    return false;
  }
}
