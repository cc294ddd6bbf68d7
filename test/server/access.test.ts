// Access control, against the real server and a fake Custom Vision on loopback: device tokens as Bearer,
// as Prediction-Key (the official SDK unchanged) and as the pairing cookie; every protected route refuses
// a missing, wrong or revoked token; revocation by editing the token file, live; failed attempts limited
// per address; and the rule that a server bound beyond loopback will not start open.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { PredictionAPIClient } from '@azure/cognitiveservices-customvision-prediction';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/env.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const SERVER_KEY = '0123456789abcdef0123456789abcdef';
const TOKEN_A = 'kioskAAAAaaaa1111-2222_3333';
const TOKEN_B = 'kioskBBBBbbbb4444-5555_6666';
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
const jpeg = fixtureBytes(FIXTURES.coffee);

async function cloudServer(fake: FakeCustomVision, env: Record<string, string>) {
  return startTestServer({
    CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
    CUSTOM_VISION_PREDICTION_KEY: SERVER_KEY,
    CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
    CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
    ...env,
  });
}

describe('a server bound beyond loopback', () => {
  it('refuses to start without access control, and says how to configure it', () => {
    let error: unknown;
    try {
      parseConfig({ HOST: '0.0.0.0' }, 2);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /HOST=0\.0\.0\.0 .*ACCESS_TOKENS=.*ACCESS_TOKENS_FILE=.*randomBytes.*HOST=127\.0\.0\.1/,
    );
    expect(parseConfig({ HOST: '0.0.0.0', ACCESS_TOKENS: TOKEN_A }, 2).security.exposed).toBe(true);
    expect(
      parseConfig({ HOST: '::', ACCESS_TOKENS_FILE: '/etc/sightline/tokens' }, 2).security.tokensFile,
    ).toBe('/etc/sightline/tokens');
  });

  it('refuses a guessable token without quoting it', () => {
    expect(() => parseConfig({ ACCESS_TOKENS: 'kiosk:hunter2' }, 2)).toThrow(
      /not a usable token \(7 characters\)/,
    );
    expect(() => parseConfig({ ACCESS_TOKENS: 'hunter2' }, 2)).not.toThrow(/hunter2/);
  });

  it('runs open on loopback when no token is configured (the quick start)', () => {
    const config = parseConfig({}, 2);
    expect(config.security).toMatchObject({ exposed: false, tokens: [] });
  });
});

describe('device tokens', () => {
  let dir: string;
  let tokenFile: string;
  let fake: FakeCustomVision;
  let server: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sightline-access-'));
    tokenFile = path.join(dir, 'tokens');
    await writeFile(tokenFile, `# kiosks\nkiosk-1:${TOKEN_A}\n${TOKEN_B}\n`);
    fake = await startFakeCustomVision(PROJECT, { key: SERVER_KEY });
    // Behind one trusted proxy, so that each test can come from an address of its own: wrong tokens sent
    // on purpose by one test must not get the next one's address refused.
    server = await cloudServer(fake, { ACCESS_TOKENS_FILE: tokenFile, TRUST_PROXY: '1' });
  });
  let address = 0;
  beforeEach(() => {
    address++;
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (route: string, init: RequestInit = {}) => {
    const headers = { 'X-Forwarded-For': `10.0.0.${address}`, ...(init.headers as Record<string, string>) };
    const res = await fetch(`${server.url}${route}`, { redirect: 'manual', ...init, headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  };
  const predict = (headers: Record<string, string>) => call(ROUTE, { method: 'POST', body: jpeg, headers });

  it.each([
    ['POST', ROUTE],
    ['GET', '/api/config'],
    ['GET', '/metrics'],
    ['GET', '/api/unknown'],
  ])(
    '%s %s refuses a missing or wrong token, in Custom Vision shape, before any work',
    async (method, route) => {
      const before = fake.requests.length;
      const body = method === 'POST' ? jpeg : undefined;
      for (const headers of [
        {} as Record<string, string>,
        { Authorization: 'Bearer not-a-valid-token-at-all-xyz' },
        { 'Prediction-Key': SERVER_KEY },
        { Cookie: 'sightline_session=v1.0123456789abcdef.1700000000.' + 'x'.repeat(43) },
      ]) {
        const res = await call(route, { method, body, headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        const json = JSON.parse(res.text) as { code: string; message: string };
        expect(json.code).toBe('401');
        expect(json.message).toMatch(/Access denied/);
      }
      expect(fake.requests.length).toBe(before);
    },
  );

  it('accepts a token as Bearer or Prediction-Key, and forwards neither', async () => {
    const bearer = await predict({ Authorization: `Bearer ${TOKEN_A}` });
    expect(bearer.status).toBe(200);
    const key = await predict({ 'Prediction-Key': TOKEN_B });
    expect(key.status).toBe(200);
    const upstream = fake.requests.at(-1)!;
    expect(upstream.headers['prediction-key']).toBe(SERVER_KEY);
    expect(JSON.stringify(fake.requests.map((r) => r.headers))).not.toMatch(
      new RegExp(`${TOKEN_A}|${TOKEN_B}`),
    );
  });

  it('works unchanged with the official SDK, its Prediction-Key being a device token', async () => {
    const client = new PredictionAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Prediction-key': TOKEN_A } }),
      server.url,
    );
    const result = await client.detectImageWithNoStore(PROJECT.projectId, PROJECT.publishedName, jpeg);
    expect(result.predictions?.[0]?.tagName).toBe('widget');
    const refused = new PredictionAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Prediction-key': 'wrong-token-wrong-token' } }),
      server.url,
    );
    await expect(
      refused.detectImageWithNoStore(PROJECT.projectId, PROJECT.publishedName, jpeg),
    ).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it('pairs a browser through a link: an HttpOnly, Secure, SameSite=Strict cookie, then a redirect to the app', async () => {
    const res = await call(`/pair?token=${TOKEN_A}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^sightline_session=v1\.[0-9a-f]{16}\.\d+\.[\w-]{43}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/,
    );
    expect(cookie).not.toContain(TOKEN_A);
    const session = cookie.split(';')[0]!;
    expect((await call('/api/config', { headers: { Cookie: session } })).status).toBe(200);
    // A tampered cookie is refused.
    expect((await call('/api/config', { headers: { Cookie: `${session.slice(0, -2)}xx` } })).status).toBe(
      401,
    );
  });

  it('pairs through a code typed into a form or sent as JSON, and shows the form with an error for a wrong one', async () => {
    const page = await call('/pair');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toMatch(/<form method="post" action="\/pair">/);
    expect(page.text).not.toMatch(/<script|style=/);

    const form = await call('/pair', {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN_B }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('set-cookie')).toMatch(/HttpOnly; Secure; SameSite=Strict/);

    const json = await call('/pair', {
      method: 'POST',
      body: JSON.stringify({ code: TOKEN_A }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect([json.status, JSON.parse(json.text)]).toEqual([200, { paired: true, device: 'kiosk-1' }]);

    const wrong = await call('/pair', {
      method: 'POST',
      body: new URLSearchParams({ token: 'mistyped-mistyped-mistyped' }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toMatch(/not a valid device token/);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('answers health and readiness probes without a token, with details only for authorised callers', async () => {
    const open = JSON.parse((await call('/api/health')).text) as Record<string, unknown>;
    expect(open).toEqual({ status: 'ok', ready: true });
    const ready = await call('/api/ready');
    expect([ready.status, JSON.parse(ready.text)]).toEqual([200, { ready: true }]);
    const full = JSON.parse(
      (await call('/api/ready', { headers: { Authorization: `Bearer ${TOKEN_A}` } })).text,
    ) as {
      checks: { access: { mode: string; tokens: number } };
    };
    expect(full.checks.access).toMatchObject({ ok: true, mode: 'tokens', tokens: 2 });
  });

  it('revokes a token when the file is edited, without a restart, cookies paired with it included', async () => {
    const paired = (await call(`/pair?token=${TOKEN_B}`)).headers.get('set-cookie')!.split(';')[0]!;
    expect((await call('/api/config', { headers: { Cookie: paired } })).status).toBe(200);
    await writeFile(tokenFile, `kiosk-1:${TOKEN_A}\n`);
    // The file is polled about once a second: wait for the change to be seen.
    const deadline = Date.now() + 10_000;
    while ((await predict({ Authorization: `Bearer ${TOKEN_B}` })).status !== 401) {
      if (Date.now() > deadline) throw new Error('the edited token file was not picked up within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100)); // polling interval
    }
    expect((await call('/api/config', { headers: { Cookie: paired } })).status).toBe(401);
    const dropped = await predict({ 'Prediction-Key': TOKEN_B });
    expect(dropped.status).toBe(401);
    // Remembered as revoked, not taken for a guess.
    expect(dropped.text).toMatch(/revoked by the operator/);
    expect((await predict({ Authorization: `Bearer ${TOKEN_A}` })).status).toBe(200);
    expect(server.logs.some((line) => /device tokens reloaded/.test(line))).toBe(true);
  });
});

describe('failed attempts', () => {
  const REVOKED = 'revokedRRRRrrrr7777-8888_9999';
  let fake: FakeCustomVision;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT, { key: SERVER_KEY });
    server = await cloudServer(fake, { ACCESS_TOKENS: `kiosk:${TOKEN_A},!old-kiosk:${REVOKED}` });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });
  const get = (token: string) =>
    fetch(`${server.url}/api/config`, { headers: { Authorization: `Bearer ${token}` } });

  it('do not count a revoked token: a kiosk still holding one is told so, and is no guesser', async () => {
    for (let i = 0; i < 25; i++) {
      const res = await get(REVOKED);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toMatch(/revoked by the operator/);
    }
    // Not locked out: a wrong token is still only a 401.
    expect((await get('wrong-token-number-x-xxxxxxxx')).status).toBe(401);
  });

  it('are limited per address: after ten wrong tokens the address is refused, but a valid token still works', async () => {
    // Missing credentials do not count (an unpaired browser is not an attacker).
    for (let i = 0; i < 15; i++) expect((await fetch(`${server.url}/api/config`)).status).toBe(401);
    // One was counted by the test above.
    for (let i = 1; i < 10; i++) expect((await get(`wrong-token-number-${i}-xxxxxxxx`)).status).toBe(401);
    const blocked = await get('wrong-token-number-10-xxxxxxxx');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(((await blocked.json()) as { message: string }).message).toMatch(/Too many wrong device tokens/);
    expect((await get('wrong-token-number-11-xxxxxxxx')).status).toBe(429);
    // The good devices behind the same address keep working, by token and by pairing.
    expect((await get(TOKEN_A)).status).toBe(200);
    const paired = await fetch(`${server.url}/pair`, {
      method: 'POST',
      body: JSON.stringify({ token: TOKEN_A }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(paired.status).toBe(200);
    const metrics = await (
      await fetch(`${server.url}/metrics`, { headers: { 'X-Forwarded-For': '10.1.1.1' } })
    ).text();
    expect(metrics).not.toContain('sightline_'); // still refused: not the metrics text
  });
});
