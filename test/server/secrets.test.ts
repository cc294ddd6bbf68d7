// Canaries: a Custom Vision key and a device token that must never appear in a response (status line,
// header or body), a log line, or the built client bundle (dist/, scanned if present; this test builds
// nothing). Exercised over every route, with success, refusals, upstream errors, an upstream that echoes
// the key, pairing by link, and a log call handed a secret on purpose.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/observability/logger.ts';
import { registerSecrets } from '../../server/observability/secrets.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { startFakeTraining } from '../support/fake-custom-vision-training.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const CANARY_KEY = 'C4n4ryK3yC4n4ryK3yC4n4ryK3y00042';
const CANARY_TOKEN = 'canary-token-4f9d1c2b7e8a6d5c';
const CANARY_TRAINING_KEY = 'Tr41nC4n4ryTr41nC4n4ryTr41n00077';
const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
const jpeg = fixtureBytes(FIXTURES.coffee);

describe('secrets', () => {
  let fake: FakeCustomVision;
  let server: TestServer;
  const seen: string[] = [];

  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT, { key: CANARY_KEY });
    server = await startTestServer({
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: CANARY_KEY,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
      CUSTOM_VISION_TIMEOUT_MS: '300',
      ACCESS_TOKENS: `kiosk:${CANARY_TOKEN}`,
    });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const record = async (route: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}${route}`, { redirect: 'manual', ...init });
    const body = await res.text();
    seen.push(`${res.status} ${res.statusText}`, ...[...res.headers].map(([k, v]) => `${k}: ${v}`), body);
    return res.status;
  };
  const auth = { Authorization: `Bearer ${CANARY_TOKEN}` };

  it('are in no response, header or log line, whatever the route and outcome', async () => {
    const statuses = [
      await record('/api/health'),
      await record('/api/health', { headers: auth }),
      await record('/api/ready', { headers: auth }),
      await record('/api/config', { headers: auth }),
      await record('/metrics', { headers: auth }),
      await record(`/pair?token=${CANARY_TOKEN}`),
      await record('/pair', {
        method: 'POST',
        body: JSON.stringify({ token: CANARY_TOKEN }),
        headers: { 'Content-Type': 'application/json' },
      }),
      await record(ROUTE, { method: 'POST', body: jpeg, headers: auth }),
      await record(ROUTE, { method: 'POST', body: jpeg, headers: { 'Prediction-Key': CANARY_TOKEN } }),
      await record(ROUTE, { method: 'POST', body: jpeg, headers: { 'Prediction-Key': CANARY_KEY } }),
      await record(ROUTE, { method: 'POST', body: 'not an image', headers: auth }),
    ];
    // An upstream that echoes the key back, one that fails, one that hangs.
    fake.behaviour = {
      answer: {
        status: 401,
        body: JSON.stringify({ error: { code: '401', message: `Key ${CANARY_KEY} is not valid` } }),
      },
    };
    statuses.push(await record(ROUTE, { method: 'POST', body: jpeg, headers: auth }));
    // ...in the headers Sightline relays, too (a request id and a Retry-After that carry it).
    fake.behaviour = {
      answer: {
        status: 429,
        body: JSON.stringify({ code: 'TooManyRequests', message: 'slow down' }),
        headers: { 'x-ms-request-id': `echo-${CANARY_KEY}`, 'Retry-After': `1 ${CANARY_KEY}` },
      },
    };
    statuses.push(await record(ROUTE, { method: 'POST', body: jpeg, headers: auth }));
    fake.behaviour = { answer: { status: 500, body: `upstream failure for ${CANARY_KEY}` } };
    statuses.push(await record(ROUTE, { method: 'POST', body: jpeg, headers: auth }));
    fake.behaviour = { hang: true };
    statuses.push(await record(ROUTE, { method: 'POST', body: jpeg, headers: auth }));
    fake.behaviour = {};
    expect(statuses).toEqual([200, 200, 200, 200, 200, 303, 200, 200, 200, 401, 400, 401, 429, 500, 504]);
    // The fake did get the key, so the canary is a real one.
    expect(fake.requests.some((r) => r.headers['prediction-key'] === CANARY_KEY)).toBe(true);

    const everything = [...seen, ...server.logs].join('\n');
    expect(seen.join('\n')).toContain('[redacted]');
    expect(everything).not.toContain(CANARY_KEY);
    expect(everything).not.toContain(CANARY_TOKEN);
    expect(server.logs.length).toBeGreaterThan(10);
  });

  it('are scrubbed from a log line even when a caller hands one over by mistake', () => {
    registerSecrets(CANARY_KEY);
    const lines: string[] = [];
    const log = createLogger('info', (line) => lines.push(line));
    log.error(
      { err: new Error(`failed with ${CANARY_KEY}`), headers: { authorization: `Bearer ${CANARY_TOKEN}` } },
      `key ${CANARY_KEY}`,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(CANARY_KEY);
    expect(lines[0]).not.toContain(CANARY_TOKEN);
    expect(lines[0]).toContain('[redacted]');
  });
});

describe('the training key', () => {
  it('is in no response, header or log line, whatever the training route and outcome', async () => {
    const fake = await startFakeTraining({ key: CANARY_TRAINING_KEY });
    const server = await startTestServer({
      CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
      CUSTOM_VISION_TRAINING_KEY: CANARY_TRAINING_KEY,
      CUSTOM_VISION_PROJECT_ID: fake.projectId,
      CUSTOM_VISION_TIMEOUT_MS: '300',
      CUSTOM_VISION_RETRIES: '0',
      LOCAL_DETECTOR_WORKERS: '1',
      ACCESS_TOKENS: `ops@manage:${CANARY_TOKEN}`,
    });
    const seen: string[] = [];
    const base = `/customvision/v3.3/training/projects/${fake.projectId}`;
    const record = async (route: string, init: RequestInit = {}) => {
      const res = await fetch(`${server.url}${route}`, init);
      seen.push(`${res.status}`, ...[...res.headers].map(([k, v]) => `${k}: ${v}`), await res.text());
      return res.status;
    };
    const auth = { 'Training-Key': CANARY_TOKEN };
    try {
      const statuses = [
        await record(`${base}/tags`, { headers: auth }),
        await record(`${base}/images`, { method: 'POST', body: jpeg, headers: auth }),
        await record(`${base}/images`, { method: 'POST', body: 'not an image', headers: auth }),
        await record(`${base}/tags`, { headers: { 'Training-Key': CANARY_TRAINING_KEY } }),
        await record('/api/config', { headers: auth }),
        await record('/api/health', { headers: auth }),
      ];
      // A training service that echoes the key in its body and headers, one that fails, one that hangs.
      fake.queue.push(
        {
          answer: {
            status: 401,
            body: JSON.stringify({
              error: { code: '401', message: `Key ${CANARY_TRAINING_KEY} is not valid` },
            }),
          },
        },
        {
          answer: {
            status: 429,
            body: JSON.stringify({ code: '429', message: `slow down ${CANARY_TRAINING_KEY}` }),
            headers: { 'x-ms-request-id': `echo-${CANARY_TRAINING_KEY}`, 'Retry-After': '1' },
          },
        },
        { answer: { status: 500, body: `training failure for ${CANARY_TRAINING_KEY}` } },
        { hang: true },
      );
      for (let i = 0; i < 4; i++) statuses.push(await record(`${base}/tags`, { headers: auth }));
      expect(statuses).toEqual([200, 200, 400, 401, 200, 200, 401, 429, 500, 504]);
      // The fake did get the key, so the canary is a real one.
      expect(fake.requests.some((r) => r.headers['training-key'] === CANARY_TRAINING_KEY)).toBe(true);
      const everything = [...seen, ...server.logs].join('\n');
      expect(seen.join('\n')).toContain('[redacted]');
      expect(everything).not.toContain(CANARY_TRAINING_KEY);
      expect(everything).not.toContain(CANARY_TOKEN);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});

describe('the built client bundle', () => {
  const dist = new URL('../../dist', import.meta.url).pathname;
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? files(file) : [file];
    });

  // `npm test` builds the app before these tests run, so this always has a bundle to read.
  it('holds no key, no token and no key-shaped value next to a key header', () => {
    expect(existsSync(dist), 'dist/ is missing: run `npm run build` first').toBe(true);
    // The canaries, plus whatever key and tokens this machine is configured with (environment or .env).
    const dotEnv = new URL('../../.env', import.meta.url).pathname;
    const configured = [
      process.env.CUSTOM_VISION_PREDICTION_KEY,
      process.env.CUSTOM_VISION_TRAINING_KEY,
      process.env.ACCESS_TOKENS,
    ];
    if (existsSync(dotEnv)) {
      for (const line of readFileSync(dotEnv, 'utf8').split('\n')) {
        const match =
          /^\s*(CUSTOM_VISION_PREDICTION_KEY|CUSTOM_VISION_TRAINING_KEY|ACCESS_TOKENS)\s*=\s*(.+?)\s*$/.exec(
            line,
          );
        if (match) configured.push(match[2]);
      }
    }
    const secrets = [
      CANARY_KEY,
      CANARY_TOKEN,
      CANARY_TRAINING_KEY,
      ...configured.flatMap((v) => (v ?? '').split(/[,\n]/)),
    ]
      .map((v) => v.replace(/^[\w.@-]+:/, '').trim())
      .filter((v) => v.length >= 16);
    const bundle = files(dist);
    expect(bundle.length).toBeGreaterThan(0);
    for (const file of bundle) {
      const text = readFileSync(file, 'latin1');
      for (const secret of secrets) expect(text.includes(secret), `${file} contains a secret`).toBe(false);
      expect(text, file).not.toMatch(/(?:prediction|training)-?key["'`]?\s*[:=,]\s*["'`][A-Za-z0-9]{32,}/i);
    }
  });
});
