import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/app-types.ts';
import { cvatAppFor, type Harness, harness } from './helpers.ts';

/** What a browser is told about every response, on the native listener and a dialect's. */
describe('security headers', () => {
  let h: Harness;
  let cvat: App;

  beforeAll(async () => {
    h = await harness();
    cvat = cvatAppFor(h);
    await cvat.ready();
  });
  afterAll(async () => {
    await cvat.close();
    await h.close();
  });

  const isolation = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'strict-transport-security': 'max-age=15552000',
  };

  it('isolates API answers, errors included, and forbids framing them', async () => {
    for (const path of ['/v1/organizations/acme', '/v1/nope', '/healthz']) {
      const response = await h.call('GET', path);
      expect(response.headers, path).toMatchObject(isolation);
    }
    expect((await h.call('GET', '/v1/organizations/acme')).headers['content-security-policy']).toBe(
      "frame-ancestors 'none'",
    );
  });

  it('keeps the invitee pages on their own strict policy', async () => {
    const page = await h.call('GET', '/invite?token=nope', { key: null });
    expect(page.headers).toMatchObject(isolation);
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  it('sends the same isolation on a dialect listener', async () => {
    const response = await cvat.inject({
      method: 'GET',
      url: '/api/server/about',
      headers: { host: 'cvat.rsvp.test' },
    });
    expect(response.headers).toMatchObject(isolation);
  });
});
