// Structured logs (pino JSON: request id, status, timing, upstream outcome; never a query string) and
// Prometheus metrics (requests, latency histogram, upstream errors by code, limiter rejections, queue
// depth), against the real server and a fake Custom Vision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
const jpeg = fixtureBytes(FIXTURES.coffee);

interface RequestLine {
  level: string;
  time: string;
  msg: string;
  reqId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  client: string;
  upstream?: { outcomes: string[]; refused?: string };
}

describe('logs and metrics', () => {
  let fake: FakeCustomVision;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT);
    server = await startTestServer({
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: fake.key,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
      CUSTOM_VISION_TPS: '2',
    });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const requestLines = () =>
    server.logs.map((line) => JSON.parse(line) as RequestLine).filter((line) => line.msg === 'request');

  it('writes one JSON line per request, with its id, status, timing and upstream outcome', async () => {
    const res = await fetch(`${server.url}${ROUTE}?application=kiosk`, {
      method: 'POST',
      body: jpeg,
      headers: { 'X-Request-Id': 'lb-1234' },
    });
    expect(res.headers.get('x-request-id')).toBe('lb-1234');
    await res.text();
    const line = requestLines().find((l) => l.reqId === 'lb-1234')!;
    expect(line).toMatchObject({
      level: 'info',
      method: 'POST',
      path: ROUTE,
      status: 200,
      client: '127.0.0.1',
      upstream: { outcomes: ['200'] },
    });
    expect(typeof line.ms).toBe('number');
    expect(new Date(line.time).getTime()).not.toBeNaN();
    expect(JSON.stringify(requestLines())).not.toContain('application=kiosk');

    const generated = await fetch(`${server.url}/api/health`, {
      headers: { 'X-Request-Id': 'no spaces allowed!' },
    });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts requests, latency, upstream errors by code, limiter rejections and queue depth', async () => {
    fake.behaviour = {
      answer: {
        status: 400,
        body: JSON.stringify({ code: 'BadRequestImageDimensions', message: 'too big' }),
      },
    };
    await (await fetch(`${server.url}${ROUTE}`, { method: 'POST', body: jpeg })).text();
    fake.behaviour = {};
    // Over the 2/s budget: at least one of these is refused before reaching the upstream.
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${server.url}${ROUTE}`, { method: 'POST', body: jpeg }).then((r) => r.status),
      ),
    );
    expect(statuses).toContain(429);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/sightline_http_requests_total\{route="prediction",status="200"\} \d+/);
    expect(metrics).toMatch(/sightline_http_requests_total\{route="prediction",status="429"\} \d+/);
    expect(metrics).toMatch(
      /sightline_http_request_duration_seconds_bucket\{le="0\.1",route="prediction"\} \d+/,
    );
    expect(metrics).toMatch(/sightline_upstream_requests_total\{outcome="200"\} \d+/);
    expect(metrics).toMatch(/sightline_upstream_errors_total\{code="400"\} 1/);
    expect(metrics).toMatch(/sightline_limiter_rejections_total\{reason="(budget|client)"\} \d+/);
    expect(metrics).toMatch(/sightline_queue_depth 0/);
    expect(metrics).toMatch(/sightline_http_requests_in_flight 1/); // the /metrics request itself
    expect(metrics).toMatch(/sightline_budget_fallback 0/);
    expect(metrics).toMatch(/sightline_process_resident_memory_bytes \d+/);
  });

  it('reports readiness with its checks', async () => {
    const ready = await fetch(`${server.url}/api/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      checks: {
        upstream: { ok: true },
        limiter: { ok: true, store: 'memory', mode: 'local' },
        access: { ok: true, mode: 'open' },
        shutdown: { ok: true },
      },
    });
  });
});
