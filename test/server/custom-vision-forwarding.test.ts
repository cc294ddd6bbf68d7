// Forwarding to Custom Vision, against a fake upstream on loopback that speaks the documented contract.
import { createServer } from 'node:net';
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { PredictionAPIClient } from '@azure/cognitiveservices-customvision-prediction';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startFakeCustomVision,
  type FakeCustomVision,
  type FakeProject,
} from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const DETECT: FakeProject = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Leaf detection',
  type: 'detect',
};
const CLASSIFY: FakeProject = {
  projectId: '1e1e1e1e-2222-4333-8444-555566667777',
  publishedName: 'Iteration3',
  type: 'classify',
};
// A canary: if this string shows up anywhere the client or the log can see, the key has leaked.
const SERVER_KEY = '0123456789abcdef0123456789abcdef';
const CLIENT_KEY = 'client-sent-key-must-not-be-forwarded';
const jpeg = fixtureBytes(FIXTURES.coffee);

function cloudEnv(fake: FakeCustomVision, project: FakeProject, extra: Record<string, string> = {}) {
  return {
    CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
    CUSTOM_VISION_PREDICTION_KEY: SERVER_KEY,
    CUSTOM_VISION_PROJECT_ID: project.projectId,
    CUSTOM_VISION_PUBLISHED_NAME: project.publishedName,
    CUSTOM_VISION_PROJECT_TYPE: project.type,
    ...extra,
  };
}

const routeOf = (project: FakeProject, tail = 'image/nostore') =>
  `/customvision/v3.1/prediction/${project.projectId}/${project.type}/iterations/${encodeURIComponent(project.publishedName)}/${tail}`;

describe('forwarding to Custom Vision (detect project)', () => {
  let fake: FakeCustomVision;
  let server: TestServer;
  const seen: string[] = []; // every response status line, header and body the client got

  beforeAll(async () => {
    fake = await startFakeCustomVision(DETECT, { key: SERVER_KEY });
    server = await startTestServer(cloudEnv(fake, DETECT, { CUSTOM_VISION_TIMEOUT_MS: '400' }));
  });
  afterEach(() => {
    fake.behaviour = {};
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
    // The canary key is in no response, header or log line.
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.join('\n')).not.toContain(SERVER_KEY);
    expect(server.logs.length).toBeGreaterThan(5);
    expect(server.logs.join('\n')).not.toContain(SERVER_KEY);
  });

  const post = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', body: jpeg, ...init });
    const body = await res.text();
    seen.push(`${res.status}`, ...[...res.headers].map(([k, v]) => `${k}: ${v}`), body);
    return { status: res.status, headers: res.headers, body };
  };

  it('reports the configured project in /api/config and /api/health, without the key', async () => {
    const config = await (await fetch(`${server.url}/api/config`)).text();
    const health = await (await fetch(`${server.url}/api/health`)).text();
    seen.push(config, health);
    expect(JSON.parse(config)).toMatchObject({
      models: [
        {
          projectId: DETECT.projectId,
          publishedName: DETECT.publishedName,
          type: 'detect',
          source: 'custom-vision',
        },
      ],
    });
    expect(JSON.parse(health)).toMatchObject({ status: 'ok', ready: true, source: 'custom-vision' });
  });

  it('adds its own Prediction-Key and forwards no credential the client sent', async () => {
    const res = await post(routeOf(DETECT), {
      headers: {
        'Prediction-Key': CLIENT_KEY,
        Authorization: `Bearer ${CLIENT_KEY}`,
        Cookie: `session=${CLIENT_KEY}`,
        'Ocp-Apim-Subscription-Key': CLIENT_KEY,
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      project: DETECT.projectId,
      predictions: [{ tagName: 'widget' }, { tagName: 'gadget' }],
    });
    const upstream = fake.requests.at(-1)!;
    expect(upstream.headers['prediction-key']).toBe(SERVER_KEY);
    expect(JSON.stringify(upstream.headers)).not.toContain(CLIENT_KEY);
    expect(upstream.path).toBe(routeOf(DETECT));
    expect(upstream.headers['content-type']).toBe('application/octet-stream');
    expect(upstream.body.equals(jpeg)).toBe(true);
  });

  it('forwards a multipart upload as the image bytes, keeping the store/nostore choice and application', async () => {
    const form = new FormData();
    form.append('imageData', new Blob([jpeg]), 'frame.jpg');
    const res = await post(`${routeOf(DETECT, 'image')}?application=kiosk-7`, { body: form });
    expect(res.status).toBe(200);
    const upstream = fake.requests.at(-1)!;
    expect(upstream.path).toBe(routeOf(DETECT, 'image'));
    expect(upstream.body.equals(jpeg)).toBe(true);
  });

  it('takes imageData sent as a plain (non-file) part byte for byte', async () => {
    const boundary = 'sightline-boundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="imageData"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      jpeg,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await post(routeOf(DETECT), {
      body,
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)!.body.equals(jpeg)).toBe(true);
  });

  it('reuses one upstream connection across requests (keep-alive)', async () => {
    const before = fake.connections.length;
    for (let i = 0; i < 5; i++) expect((await post(routeOf(DETECT))).status).toBe(200);
    expect(fake.connections.length - before).toBeLessThanOrEqual(1);
  });

  it('passes upstream errors, their status and Retry-After on intact', async () => {
    const error = JSON.stringify({
      code: 'BadRequestImageDimensions',
      message: 'Image dimensions are too large',
    });
    fake.behaviour = { answer: { status: 400, body: error } };
    const bad = await post(routeOf(DETECT));
    expect([bad.status, bad.body]).toEqual([400, error]);

    const throttled = JSON.stringify({
      error: { code: '429', message: 'Rate limit is exceeded. Try again in 3 seconds.' },
    });
    fake.behaviour = { answer: { status: 429, body: throttled, headers: { 'Retry-After': '3' } } };
    const limited = await post(routeOf(DETECT));
    expect([limited.status, limited.body, limited.headers.get('retry-after')]).toEqual([429, throttled, '3']);

    const unknown = JSON.stringify({
      code: 'SomethingNew',
      message: 'a code this server has never heard of',
    });
    fake.behaviour = { answer: { status: 500, body: unknown } };
    expect(await post(routeOf(DETECT))).toMatchObject({ status: 500, body: unknown });
  });

  it('answers 504 in Custom Vision shape when the upstream is slower than the timeout', async () => {
    fake.behaviour = { hang: true };
    const res = await post(routeOf(DETECT));
    expect(res.status).toBe(504);
    const body = JSON.parse(res.body) as { code: string; message: string };
    expect(body.code).toBe('ErrorPredictionServiceUnavailable');
    expect(body.message).toMatch(/did not answer within 400 ms/);
    fake.behaviour = {};
    expect((await post(routeOf(DETECT))).status).toBe(200);
  });

  it('forwards URL predictions as JSON', async () => {
    const res = await post(routeOf(DETECT, 'url'), {
      body: JSON.stringify({ url: 'https://example.com/a.jpg' }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const upstream = fake.requests.at(-1)!;
    expect(JSON.parse(upstream.body.toString())).toEqual({ url: 'https://example.com/a.jpg' });
    const before = fake.requests.length;
    const bad = await post(routeOf(DETECT, 'url'), { body: JSON.stringify({ url: 'file:///etc/passwd' }) });
    expect([bad.status, (JSON.parse(bad.body) as { code: string }).code]).toEqual([
      400,
      'BadRequestImageUrl',
    ]);
    expect(fake.requests.length).toBe(before);
  });

  it('works unchanged with the official SDK (detect pair)', async () => {
    const client = new PredictionAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Prediction-key': CLIENT_KEY } }),
      server.url,
    );
    const stored = await client.detectImage(DETECT.projectId, DETECT.publishedName, jpeg);
    expect(stored.predictions?.[0]).toMatchObject({
      tagName: 'widget',
      boundingBox: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
    });
    const nostore = await client.detectImageWithNoStore(DETECT.projectId, DETECT.publishedName, jpeg);
    expect(nostore.predictions).toHaveLength(2);
    expect(fake.requests.at(-2)!.path).toBe(routeOf(DETECT, 'image'));
    expect(fake.requests.at(-1)!.path).toBe(routeOf(DETECT, 'image/nostore'));
  });
});

describe('forwarding to Custom Vision (classify project)', () => {
  it('works unchanged with the official SDK (classify pair)', async () => {
    const fake = await startFakeCustomVision(CLASSIFY, { key: SERVER_KEY });
    const server = await startTestServer(cloudEnv(fake, CLASSIFY));
    try {
      const client = new PredictionAPIClient(
        new ApiKeyCredentials({ inHeader: { 'Prediction-key': CLIENT_KEY } }),
        server.url,
      );
      const stored = await client.classifyImage(CLASSIFY.projectId, CLASSIFY.publishedName, jpeg);
      expect(stored.predictions?.map((p) => p.tagName)).toEqual(['widget', 'gadget']);
      expect(stored.predictions?.[0]?.boundingBox).toBeUndefined();
      const nostore = await client.classifyImageWithNoStore(CLASSIFY.projectId, CLASSIFY.publishedName, jpeg);
      expect(nostore.predictions?.[0]?.probability).toBe(0.91);
      expect(fake.requests.map((r) => r.path)).toEqual([
        routeOf(CLASSIFY, 'image'),
        routeOf(CLASSIFY, 'image/nostore'),
      ]);
      // The detect routes of a classifier are refused before reaching the upstream.
      await expect(
        client.detectImage(CLASSIFY.projectId, CLASSIFY.publishedName, jpeg),
      ).rejects.toMatchObject({ statusCode: 400 });
      expect(fake.requests).toHaveLength(2);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});

describe('an unreachable upstream', () => {
  it('gets a 502 in Custom Vision shape saying what happened, and the server stays up', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));

    const server = await startTestServer(
      cloudEnv({ url: `http://127.0.0.1:${port}` } as FakeCustomVision, DETECT),
    );
    try {
      const res = await fetch(`${server.url}${routeOf(DETECT)}`, { method: 'POST', body: jpeg });
      expect(res.status).toBe(502);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('ErrorPredictionServiceUnavailable');
      expect(body.message).toMatch(/Could not reach Custom Vision at 127\.0\.0\.1:\d+: ECONNREFUSED/);
      const health = (await (await fetch(`${server.url}/api/health`)).json()) as { detail: string };
      expect(health.detail).toMatch(/ECONNREFUSED/);
    } finally {
      await server.close();
    }
  });
});
