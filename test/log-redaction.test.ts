import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/app.ts';
import { buildCvatApp } from '../src/dialects/cvat/cvat.app.ts';
import type { App } from '../src/http/app-types.ts';
import { type Harness, harness, request } from './helpers.ts';

/** Credential-like query parameters a client may send; each value must never reach the log. */
const PARAMS = [
  'api_key',
  'apikey',
  'key',
  'password',
  'new_password',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'signature',
  'X-Amz-Signature',
  'sig',
  'sessionid',
  'code',
  'auth',
];

describe('logs', () => {
  let h: Harness;
  let cvat: App;
  const lines: string[] = [];

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    h = await harness({ app: { logger: { ...loggerOptions('info'), stream } } });
    cvat = buildCvatApp(
      h.services,
      {
        keyMac: h.keys.pageTokenSigning,
        sessionKey: h.keys.sessionSigning,
        clock: h.clock,
        publicUrl: 'http://rsvp.test',
        listenerUrl: 'http://cvat.rsvp.test',
      },
      { loggerInstance: h.app.log.child({ dialect: 'cvat' }) },
    );
    await cvat.ready();
  });
  afterAll(async () => {
    await cvat.close();
    await h.close();
  });

  it('redact every credential-like query parameter and embedded secret, on every listener', async () => {
    const query = PARAMS.map((name, index) => `${name}=SECRETVALUE${index}X`).join('&');
    const key = h.adminKey;
    await request(h.app, 'GET', `/v1/organizations/acme/invitations?status=pending&${query}`);
    await request(h.app, 'GET', `/v1/users/${key}?page_size=5&${query}`);
    await request(h.app, 'GET', `/invite?token=rsvp_it_abcdefTOKENVALUE&lang=fr`);
    // Typed secrets under any name or in the path: sign-up and join links included.
    await request(h.app, 'GET', `/sign-up?utm_source=mail&tok=rsvp_su_abcdefSIGNUPVALUE`);
    await request(h.app, 'GET', `/sign-up/rsvp_su_abcdefPATHVALUE`);
    await request(h.app, 'GET', `/join?utm=x&t=rsvp_jl_abcdefJOINVALUE`);
    // Percent-encoded, as a client may send them: the server decodes, and so does the redaction.
    await request(h.app, 'GET', `/sign-up?utm_campaign=a%2Bb&join=rsvp%5Fjl%5FabcdefENCODEDJOIN`);
    await request(h.app, 'GET', `/sign-up?next=%72svp_jl_abcdefENCODEDNEXT`);
    await request(h.app, 'GET', `/invite/%72svp%5Fit%5FabcdefENCODEDPATH`);
    // A malformed escape beside it, or a secret encoded only in part (outside tester).
    await request(h.app, 'GET', `/v1/me/rsvp%5Fsk%5FabcdefMALFORMED%ZZ`);
    await request(h.app, 'GET', `/sign-up?x=rsvp%5Fsu%5FabcdefMALFORMEDQ%ZZ`);
    await request(h.app, 'GET', `/v1/me/rsvp_sk_abcd%65PARTLYENCODED`);
    await request(cvat, 'GET', `/api/invitations?org=acme&${query}`, {
      headers: { authorization: `Token ${key}` },
    });
    const log = lines.join('');
    expect(log).toContain('status=pending');
    expect(log).toContain('page_size=5');
    expect(log).toContain('org=acme');
    expect(log).toContain('[redacted]');
    expect(log).toContain('"dialect":"cvat"');
    for (const index of PARAMS.keys()) expect(log, PARAMS[index]).not.toContain(`SECRETVALUE${index}X`);
    expect(log).not.toContain(key);
    expect(log).not.toContain(key.slice('rsvp_sk_'.length));
    expect(log).not.toContain('TOKENVALUE');
    for (const value of [
      'SIGNUPVALUE',
      'PATHVALUE',
      'JOINVALUE',
      'ENCODEDJOIN',
      'ENCODEDNEXT',
      'ENCODEDPATH',
    ])
      expect(log).not.toContain(value);
    expect(log).toContain('utm_source=mail');
    expect(log).toContain('utm_campaign=a%2Bb');
  });
});
