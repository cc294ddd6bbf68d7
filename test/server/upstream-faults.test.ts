// Faults upstream, against a fake Custom Vision on loopback told to misbehave: every client request gets
// a well-formed answer within its deadline; 429s and 503s are retried with backoff inside it; a client
// that has gone is never retried for; the circuit breaker answers fast 503s while the upstream is down,
// and the server recovers when the upstream does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startFakeCustomVision,
  type FakeBehaviour,
  type FakeCustomVision,
} from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
const DEADLINE_MS = 1_500;
const jpeg = fixtureBytes(FIXTURES.coffee);
const json = (value: unknown) => JSON.stringify(value);
const throttled = json({ error: { code: '429', message: 'Rate limit is exceeded.' } });

function env(fake: FakeCustomVision, extra: Record<string, string>) {
  return {
    CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
    CUSTOM_VISION_PREDICTION_KEY: fake.key,
    CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
    CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
    CUSTOM_VISION_TIMEOUT_MS: String(DEADLINE_MS),
    ...extra,
  };
}

async function predict(server: TestServer, init: RequestInit = {}) {
  const started = performance.now();
  const res = await fetch(`${server.url}${ROUTE}`, { method: 'POST', body: jpeg, ...init });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: performance.now() - started };
}

describe('upstream faults', () => {
  let fake: FakeCustomVision;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT);
    // A breaker that never opens here: these tests are about single requests.
    server = await startTestServer(env(fake, { CUSTOM_VISION_BREAKER_THRESHOLD: '1000' }));
  });
  afterEach(() => {
    fake.behaviour = {};
    fake.queue = [];
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('retries a 503 and a 429 inside the deadline and answers with the success', async () => {
    const before = fake.requests.length;
    fake.queue = [
      { answer: { status: 503, body: json({ code: 'ErrorPredictionServiceUnavailable', message: 'busy' }) } },
      { answer: { status: 429, body: throttled } },
    ];
    const res = await predict(server);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      predictions: [{ tagName: 'widget' }, { tagName: 'gadget' }],
    });
    expect(fake.requests.length - before).toBe(3);
  });

  it.each<[string, FakeBehaviour, number, string | undefined, number]>([
    [
      '429 with a Retry-After too long to wait',
      { answer: { status: 429, body: throttled, headers: { 'Retry-After': '7' } } },
      429,
      '7',
      1,
    ],
    ['429 without Retry-After', { answer: { status: 429, body: throttled } }, 429, '1', 3],
    [
      '500',
      { answer: { status: 500, body: json({ code: 'ErrorUnknown', message: 'oops' }) } },
      500,
      undefined,
      1,
    ],
    [
      '503 with an HTML page',
      {
        answer: {
          status: 503,
          body: '<html>Service Unavailable</html>',
          headers: { 'Content-Type': 'text/html' },
        },
      },
      503,
      '1',
      3,
    ],
    ['a hang', { hang: true }, 504, undefined, 1],
    ['a reset connection', { reset: true }, 502, undefined, 3],
    ['invalid JSON with a 200', { answer: { status: 200, body: '{"predictions": [' } }, 502, undefined, 1],
  ])(
    'answers %s in Custom Vision shape within the deadline',
    async (_, behaviour, status, retryAfter, calls) => {
      const before = fake.requests.length;
      fake.behaviour = behaviour;
      const res = await predict(server);
      expect(res.status).toBe(status);
      expect(res.ms).toBeLessThan(DEADLINE_MS + 750);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(res.text) as { code?: string; message?: string; error?: { code: string } };
      expect(body.code ?? body.error?.code).toBeTruthy();
      expect(res.headers.get('retry-after') ?? undefined).toBe(retryAfter);
      expect(fake.requests.length - before).toBe(calls);
    },
  );

  it('never retries for a client that has gone', async () => {
    const before = fake.requests.length;
    fake.behaviour = {
      latencyMs: 300,
      answer: { status: 503, body: json({ code: 'ErrorPredictionServiceUnavailable', message: 'busy' }) },
    };
    const controller = new AbortController();
    const request = fetch(`${server.url}${ROUTE}`, { method: 'POST', body: jpeg, signal: controller.signal });
    while (fake.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 10)); // polling
    controller.abort();
    await expect(request).rejects.toThrow();
    // The request's log line (status 499) is written when the server has finished with it for good.
    while (!server.logs.some((line) => line.includes('"status":499')))
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake.requests.length - before).toBe(1);
  });
});

describe('the circuit breaker', () => {
  let fake: FakeCustomVision;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT);
    server = await startTestServer(
      env(fake, {
        CUSTOM_VISION_RETRIES: '0',
        CUSTOM_VISION_BREAKER_THRESHOLD: '3',
        CUSTOM_VISION_BREAKER_COOLDOWN_MS: '400',
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('opens after repeated failures, answers fast 503s with Retry-After, and closes when a probe succeeds', async () => {
    fake.behaviour = { answer: { status: 500, body: json({ code: 'ErrorUnknown', message: 'down' }) } };
    for (let i = 0; i < 3; i++) expect((await predict(server)).status).toBe(500);
    const reached = fake.requests.length;
    const fast = await predict(server);
    expect(fast.status).toBe(503);
    expect(Number(fast.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(fast.text)).toMatchObject({
      code: 'ErrorPredictionServiceUnavailable',
      message: expect.stringMatching(/failing/) as unknown,
    });
    expect(fake.requests.length).toBe(reached);
    expect((await fetch(`${server.url}/api/ready`)).status).toBe(503);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/sightline_upstream_errors_total\{code="circuit-open"\} 1/);
    expect(metrics).toMatch(/sightline_upstream_errors_total\{code="500"\} 3/);

    // Still failing when probed: open again.
    while ((await predict(server)).status === 503) await new Promise((resolve) => setTimeout(resolve, 50)); // polling
    expect(fake.requests.length).toBe(reached + 1);

    // The upstream recovers: the next probe closes the circuit.
    fake.behaviour = {};
    let res = await predict(server);
    while (res.status === 503) {
      await new Promise((resolve) => setTimeout(resolve, 50)); // polling
      res = await predict(server);
    }
    expect(res.status).toBe(200);
    expect((await predict(server)).status).toBe(200);
    expect((await fetch(`${server.url}/api/ready`)).status).toBe(200);
  });
});
