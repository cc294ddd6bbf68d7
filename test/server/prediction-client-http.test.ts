// The browser's prediction client over real HTTP on loopback: first against a bare server that misbehaves
// on purpose (so the real fetch's timeout, abort and network paths run), then end to end through the real
// Sightline server forwarding to the fake Custom Vision (so the client reads what the server really sends).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictImage, type PredictOutcome } from '../../src/api/prediction-client.ts';
import { predictionPathFor } from '../../src/shared/custom-vision-path.ts';
import {
  startFakeCustomVision,
  type FakeCustomVision,
  type FakeProject,
} from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const jpeg = fixtureBytes(FIXTURES.coffee);

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }),
  );
}

function failureOf(outcome: PredictOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got HTTP ${outcome.status}`);
  return outcome.failure;
}

describe('predictImage over real HTTP', () => {
  let server: Server;
  let base: string;
  const sockets = new Set<Socket>();
  const received: { method?: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
  /** Resolves when the server sees the client drop a request it never answered. */
  let dropped: Promise<void> = Promise.resolve();
  let onDropped = () => {};

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    received.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks) });
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
      res.end(body);
    };
    switch (req.url) {
      case '/ok':
        answer(
          200,
          JSON.stringify({
            id: 'p1',
            project: 'proj',
            iteration: 'it',
            created: '2026-01-01T00:00:00Z',
            predictions: [
              { tagId: 't2', tagName: 'saucer', probability: 0.3 },
              {
                tagId: 't1',
                tagName: 'cup',
                probability: 0.9,
                boundingBox: { left: 0.2, top: 0.1, width: 0.5, height: 0.6 },
              },
            ],
          }),
        );
        return;
      case '/busy':
        answer(429, JSON.stringify({ error: { code: '429', message: 'Too many requests.' } }), {
          'Retry-After': '3',
        });
        return;
      case '/later':
        // A Retry-After date ten seconds after the server's own Date, whatever the client's clock says.
        answer(503, '', {
          Date: 'Thu, 01 Jan 2026 12:00:00 GMT',
          'Retry-After': 'Thu, 01 Jan 2026 12:00:10 GMT',
        });
        return;
      case '/html':
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<!doctype html><title>Sightline</title>');
        return;
      case '/stall':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"id":"p1",');
        res.on('close', onDropped);
        return; // the rest never comes
      default: // '/hang': never answer at all
        res.on('close', onDropped);
    }
  };

  const expectDrop = () => {
    dropped = new Promise((resolve) => (onDropped = resolve));
  };

  beforeAll(async () => {
    server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    base = await listen(server);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const predict = (
    path: string,
    options: { timeoutMs?: number; signal?: AbortSignal; now?: () => number } = {},
  ) =>
    predictImage(`${base}${path}`, jpeg, {
      signal: options.signal ?? new AbortController().signal,
      timeoutMs: options.timeoutMs ?? 10_000,
      now: options.now,
    });

  it('POSTs the JPEG bytes with no credential and reads the sorted prediction', async () => {
    const outcome = await predict('/ok');
    expect(outcome.ok && outcome.prediction.predictions.map((p) => p.tagName)).toEqual(['cup', 'saucer']);
    expect(outcome.ok && outcome.prediction.predictions[0]?.boundingBox).toEqual({
      left: 0.2,
      top: 0.1,
      width: 0.5,
      height: 0.6,
    });
    const request = received.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/octet-stream');
    expect(request.headers['accept']).toBe('application/json');
    expect(request.headers['prediction-key']).toBeUndefined();
    expect(request.headers['authorization']).toBeUndefined();
    expect(request.body.equals(jpeg)).toBe(true);
  });

  it('reads a 429 with Retry-After seconds', async () => {
    expect(failureOf(await predict('/busy'))).toEqual({
      kind: 'rate-limited',
      status: 429,
      code: '429',
      message: 'Too many requests.',
      retryAfterMs: 3000,
    });
  });

  it("measures a Retry-After date from the response's Date header", async () => {
    // The client's clock says 1970: only the server's Date makes the ten seconds come out right.
    const failure = failureOf(await predict('/later', { now: () => 0 }));
    expect(failure).toMatchObject({ kind: 'unavailable', status: 503, retryAfterMs: 10_000 });
  });

  it('calls an HTML page in place of a prediction a server error', async () => {
    expect(failureOf(await predict('/html'))).toMatchObject({ kind: 'server-error', status: 200 });
  });

  it('times out on a server that never answers, and drops the request', async () => {
    expectDrop();
    const started = performance.now();
    const failure = failureOf(await predict('/hang', { timeoutMs: 300 }));
    expect(failure).toEqual({
      kind: 'timeout',
      message: 'The Sightline server did not answer within 300 ms',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await dropped; // the connection was really closed, not left hanging
  });

  it('times out on a body that stalls after the headers', async () => {
    expectDrop();
    expect(failureOf(await predict('/stall', { timeoutMs: 300 }))).toMatchObject({ kind: 'timeout' });
    await dropped;
  });

  it('rejects with the AbortError when the caller aborts, and drops the request', async () => {
    expectDrop();
    const caller = new AbortController();
    const pending = predict('/hang', { signal: caller.signal, timeoutMs: 30_000 });
    // Abort once the server has the request, so the abort hits a request in flight.
    const count = received.length;
    await expect.poll(() => received.length).toBe(count + 1);
    caller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await dropped;
  });

  it("gives 'network' when nothing listens on the port", async () => {
    const closed = createServer();
    const url = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await predictImage(`${url}/ok`, jpeg, {
      signal: new AbortController().signal,
      timeoutMs: 10_000,
    });
    expect(failureOf(outcome)).toEqual({ kind: 'network', message: 'Cannot reach the Sightline server' });
  });
});

describe('predictImage through the Sightline server to Custom Vision', () => {
  const project: FakeProject = {
    projectId: '2d2d2d2d-3333-4444-8555-666677778888',
    publishedName: 'Shelf detector',
    type: 'detect',
  };
  const key = '0123456789abcdef0123456789abcdef';
  let fake: FakeCustomVision;
  let server: TestServer;
  let predictionPath: string;

  beforeAll(async () => {
    fake = await startFakeCustomVision(project, { key });
    server = await startTestServer({
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: key,
      CUSTOM_VISION_PROJECT_ID: project.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: project.publishedName,
      CUSTOM_VISION_PROJECT_TYPE: project.type,
      CUSTOM_VISION_TIMEOUT_MS: '400',
    });
    // Read as the app reads it (src/api/server-info.ts, which is browser-only code and not imported here).
    const config = (await (await fetch(`${server.url}/api/config`)).json()) as {
      models: { predictionPath: string }[];
    };
    predictionPath = config.models[0]!.predictionPath;
    expect(predictionPath).toMatch(/\/image\/nostore$/);
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const predict = (store: boolean, image: Uint8Array = jpeg) =>
    predictImage(`${server.url}${predictionPathFor(predictionPath, store)}`, image, {
      signal: new AbortController().signal,
      timeoutMs: 10_000,
    });

  it('gets a parsed prediction on the nostore route, the key added by the server', async () => {
    fake.behaviour = {};
    const outcome = await predict(false);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.prediction.project).toBe(project.projectId);
    expect(outcome.prediction.predictions.map((p) => p.tagName)).toEqual(['widget', 'gadget']);
    expect(outcome.prediction.predictions[0]?.boundingBox).toEqual({
      left: 0.1,
      top: 0.2,
      width: 0.3,
      height: 0.4,
    });
    const upstream = fake.requests.at(-1)!;
    expect(upstream.path).toMatch(/\/image\/nostore$/);
    expect(upstream.headers['prediction-key']).toBe(key);
    expect(upstream.body.equals(jpeg)).toBe(true);
  });

  it('uses the storing route when frames are kept', async () => {
    fake.behaviour = {};
    expect((await predict(true)).ok).toBe(true);
    expect(fake.requests.at(-1)!.path).toMatch(/\/iterations\/[^/]+\/image$/);
  });

  it("relays the cloud's throttling as rate-limited, with its Retry-After", async () => {
    fake.behaviour = {
      answer: {
        status: 429,
        body: JSON.stringify({
          error: { code: '429', message: 'Rate limit exceeded. Please retry after 1 second.' },
        }),
        headers: { 'Retry-After': '1' },
      },
    };
    expect(failureOf(await predict(false))).toMatchObject({
      kind: 'rate-limited',
      status: 429,
      code: '429',
      retryAfterMs: 1000,
    });
  });

  it("reads the server's 504 for a silent cloud as unavailable", async () => {
    fake.behaviour = { hang: true };
    expect(failureOf(await predict(false))).toMatchObject({
      kind: 'unavailable',
      status: 504,
      code: 'ErrorPredictionServiceUnavailable',
      message: expect.stringMatching(/did not answer within 400 ms/) as unknown,
    });
  });

  it("reads the server's refusal of a non-image as a rejected frame", async () => {
    fake.behaviour = {};
    expect(failureOf(await predict(false, new TextEncoder().encode('not an image')))).toMatchObject({
      kind: 'rejected',
      status: 400,
      code: 'BadRequestImageFormat',
    });
  });

  it("reads the server's refusal of an oversized frame as a rejected frame, not a network error", async () => {
    fake.behaviour = {};
    const huge = new Uint8Array(4 * 1024 * 1024 + 1);
    huge.set(jpeg.subarray(0, 4));
    expect(failureOf(await predict(false, huge))).toMatchObject({
      kind: 'rejected',
      status: 413,
      code: 'BadRequestImageSizeBytes',
    });
  });
});
