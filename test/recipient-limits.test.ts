import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.ts';

/**
 * The per-recipient cap protects an address from floods without letting one organization
 * block another's invitations to it.
 */
describe('per-recipient limits across tenants', () => {
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A tenant: its own owner, organization and API key. */
  async function tenant() {
    const n = ++seq;
    const owner = await h.user(`owner${n}@tenant${n}.example`);
    const created = await h.call('POST', '/v1/organizations', {
      key: owner.key,
      body: { slug: `tenant-${n}`, name: `Tenant ${n}` },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { key: owner.key, slug: created.body.slug as string };
  }

  /** `count` invitation emails from `org` to `email` (one per resource), in one batch; the statuses. */
  async function send(org: { key: string; slug: string }, email: string, count: number): Promise<number[]> {
    const rows = [];
    for (let i = 0; i < count; i++) {
      const resource = await h.call('POST', `/v1/organizations/${org.slug}/resources`, {
        key: org.key,
        body: { type: 'array', name: `r-${++seq}` },
      });
      expect(resource.status).toBe(201);
      rows.push({ email, resource_id: resource.body.id, actions: ['read'] });
    }
    const batch = await h.call('POST', `/v1/organizations/${org.slug}/invitations/batch`, {
      key: org.key,
      body: { invitations: rows },
    });
    expect(batch.status, JSON.stringify(batch.body)).toBeLessThan(300);
    return batch.body.results.map((row: { status: number }) => row.status);
  }

  it('one organization exhausting its cap for an address does not block another organization', async () => {
    const hostile = await tenant();
    const victim = await tenant();
    const sent = await send(hostile, 'target@example.com', 12);
    expect(sent.filter((s) => s === 201)).toHaveLength(10);
    expect(sent.slice(10)).toEqual([429, 429]);

    const invited = await h.call('POST', `/v1/organizations/${victim.slug}/invitations`, {
      key: victim.key,
      body: { email: 'target@example.com', role: 'member' },
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  });

  it('many organizations together are bounded by the shared pool, yet a new one still gets its guaranteed few', async () => {
    const email = 'popular@example.com';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(...(await send(await tenant(), email, 10)));
    // 3 guaranteed per organization (15) plus the shared pool of 30.
    expect(statuses.filter((s) => s === 201)).toHaveLength(45);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);

    const late = await send(await tenant(), email, 4);
    expect(late).toEqual([201, 201, 201, 429]);
  });

  it('the refused email carries Retry-After and the RateLimit headers of the limit it hit', async () => {
    const org = await tenant();
    await send(org, 'headers@example.com', 10);
    const refused = await h.call('POST', `/v1/organizations/${org.slug}/invitations`, {
      key: org.key,
      body: { email: 'headers@example.com', role: 'member' },
    });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('recipient_limit_reached');
    expect(refused.body.detail).toContain('from this organization');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-policy']).toBe('10;w=600');
  });
});
