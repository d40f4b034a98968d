import type { Principal } from './access/principal.ts';
import type { Database } from './db/database.ts';
import { AppError } from './lib/errors.ts';
import type { Services } from './services.ts';
import { countInstanceAdmins } from './users/user.repository.ts';

export interface BootstrapInput {
  email: string;
  password?: string | undefined;
  displayName?: string | undefined;
  organizationSlug: string;
  organizationName: string;
}

/**
 * First run: the instance admin, their organization (they own it) and an API key whose
 * secret is returned once. Refused once an instance admin exists.
 */
export async function bootstrap(database: Database, services: Services, input: BootstrapInput) {
  if ((await countInstanceAdmins(database.db)) > 0) {
    throw new AppError(
      409,
      'already_bootstrapped',
      'Already bootstrapped',
      'This instance already has an admin.',
    );
  }
  const user = await services.users.register(
    { email: input.email, password: input.password, display_name: input.displayName },
    { instanceAdmin: true, actor: null, via: 'bootstrap', emailVerified: true },
  );
  const principal: Principal = { method: 'operator', user, apiKeyId: null, scopes: 'all' };
  const { organization } = await services.organizations.create(principal, {
    slug: input.organizationSlug,
    name: input.organizationName,
  });
  const { key, secret } = await services.apiKeys.create(principal, user.id, { name: 'bootstrap' });
  return { user, organization, key, secret };
}

export async function needsBootstrap(database: Database): Promise<boolean> {
  return (await countInstanceAdmins(database.db)) === 0;
}
