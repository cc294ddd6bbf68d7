// Every kind of bad prediction request gets a Custom Vision-shaped refusal; none reaches the upstream or
// the model, and the server keeps serving. Run against both upstreams: the local detector and a fake
// Custom Vision on loopback.
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { oneRequest } from '../support/one-request.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const MIB = 1024 * 1024;

interface Setup {
  server: TestServer;
  path: string;
  /** How many requests reached the upstream or the model so far. */
  reached(): number;
  close(): Promise<void>;
}

async function localSetup(): Promise<Setup> {
  const server = await startTestServer({ LOCAL_DETECTOR_WORKERS: '1' });
  const { models } = (await (await fetch(`${server.url}/api/config`)).json()) as {
    models: { predictionPath: string }[];
  };
  return {
    server,
    path: models[0]!.predictionPath,
    reached: () => (server.upstream.health() as unknown as { modelRuns: number }).modelRuns,
    close: () => server.close(),
  };
}

async function cloudSetup(): Promise<Setup> {
  const fake: FakeCustomVision = await startFakeCustomVision(PROJECT);
  const server = await startTestServer({
    CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
    CUSTOM_VISION_PREDICTION_KEY: fake.key,
    CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
    CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
  });
  return {
    server,
    path: `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`,
    reached: () => fake.requests.length,
    close: async () => {
      await server.close();
      await fake.close();
    },
  };
}

/** Sends a body without Content-Length (chunked), as a streaming client would. */
function postChunked(url: string, chunks: number, chunkSize: number) {
  const jpegStart = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
  return oneRequest(url, {
    headers: { 'Content-Type': 'application/octet-stream' },
    body: Readable.from(
      Array.from({ length: chunks }, (_, i) =>
        i === 0 ? Buffer.concat([jpegStart, Buffer.alloc(chunkSize)]) : Buffer.alloc(chunkSize),
      ),
    ),
  });
}

/** A multipart/form-data body with boundary X from raw parts (name, headers beyond the disposition, bytes). */
const BOUNDARY = 'X';
const multipartPart = (disposition: string, bytes: Uint8Array | string, extraHeaders = '') =>
  Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; ${disposition}\r\n${extraHeaders}\r\n`),
    Buffer.from(bytes),
    Buffer.from('\r\n'),
  ]);
const multipartEnd = Buffer.from(`--${BOUNDARY}--\r\n`);
const MULTIPART = { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` };

/**
 * Streams a multipart body without Content-Length: a file part named "other" of `fillerBytes`, then an
 * imageData part. Resolves with the answer and how many bytes the server had pulled by then (it stops
 * reading once it has answered).
 */
async function postChunkedMultipart(url: string, fillerBytes: number, image: Uint8Array) {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  function* body() {
    const head = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="other"; filename="big.bin"\r\n\r\n`,
    );
    sent += head.length;
    yield head;
    for (let i = 0; i < fillerBytes / chunk.length; i++) {
      sent += chunk.length;
      yield chunk;
    }
    yield Buffer.from('\r\n');
    yield multipartPart('name="imageData"; filename="a.jpg"', image);
    yield multipartEnd;
  }
  const answer = await oneRequest(url, { headers: MULTIPART, body: Readable.from(body()) });
  return { ...answer, sentWhenAnswered: sent };
}

/** Sends raw bytes (for targets no HTTP client would send) and resolves with everything the server sent. */
function rawRequest(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.end(text));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

describe.each([
  ['the local detector', localSetup],
  ['a Custom Vision upstream', cloudSetup],
])('bad input, served by %s', (_, setup) => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });
  afterAll(() => s?.close());

  const send = async (init: RequestInit & { path?: string }) => {
    const res = await fetch(`${s.server.url}${init.path ?? s.path}`, { method: 'POST', ...init });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: JSON.parse(text) as { code: string; message: string },
    };
  };

  const jpeg = fixtureBytes(FIXTURES.coffee);
  const multipartWithout = () => {
    const form = new FormData();
    form.append('image', new Blob([jpeg]), 'coffee.jpg');
    return form;
  };

  it.each<[string, () => RequestInit & { path?: string }, number, string]>([
    ['an empty body', () => ({ body: new Uint8Array() }), 400, 'BadRequestImageStream'],
    [
      'a body over 4 MiB',
      () => ({ body: Buffer.concat([jpeg, Buffer.alloc(4 * MIB)]) }),
      413,
      'BadRequestImageSizeBytes',
    ],
    [
      'text claiming to be a JPEG',
      () => ({ body: 'hello', headers: { 'Content-Type': 'image/jpeg' } }),
      400,
      'BadRequestImageFormat',
    ],
    [
      'a WebP (not a Custom Vision format)',
      () => ({ body: Buffer.from('RIFF\0\0\0\0WEBPVP8 ') }),
      400,
      'BadRequestImageFormat',
    ],
    ['a truncated JPEG', () => ({ body: jpeg.subarray(0, jpeg.length / 2) }), 400, 'BadRequestImageFormat'],
    ['multipart without imageData', () => ({ body: multipartWithout() }), 400, 'BadRequestImageStream'],
    [
      'a malformed multipart body',
      () => ({ body: 'no boundary here', headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' } }),
      400,
      'BadRequestImageStream',
    ],
  ])('refuses %s', async (_, init, status, code) => {
    const before = s.reached();
    const res = await send(init());
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.message.length).toBeGreaterThan(10);
    expect(s.reached()).toBe(before);
  });

  it('refuses an oversized streamed body without reading it all', async () => {
    const before = s.reached();
    const res = await postChunked(`${s.server.url}${s.path}`, 80, 64 * 1024);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'BadRequestImageSizeBytes' });
    expect(s.reached()).toBe(before);
  });

  it.each([
    ['a file part', 'name="imageData"; filename="a.jpg"', ''],
    ['an application/octet-stream part', 'name="imageData"', 'Content-Type: application/octet-stream\r\n'],
  ])('refuses a multipart body that ends inside %s, and stays up', async (_, disposition, headers) => {
    const before = s.reached();
    const cut = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; ${disposition}\r\n${headers}\r\nabc`,
    );
    const res = await send({ body: cut, headers: MULTIPART });
    expect([res.status, res.body.code]).toEqual([400, 'BadRequestImageStream']);
    expect(res.body.message).toMatch(/Unexpected end of form/);
    expect((await fetch(`${s.server.url}/api/health`)).status).toBe(200);
    expect(s.reached()).toBe(before);
  });

  it('reads imageData after other file parts', async () => {
    const before = s.reached();
    const body = Buffer.concat([
      multipartPart('name="note"; filename="note.txt"', 'a file before the image'),
      multipartPart('name="imageData"; filename="coffee.jpg"', jpeg),
      multipartEnd,
    ]);
    const res = await fetch(`${s.server.url}${s.path}`, { method: 'POST', body, headers: MULTIPART });
    expect(res.status).toBe(200);
    expect(s.reached()).toBe(before + 1);
  });

  it('refuses a chunked multipart body over the limit as it streams in, not once it is read whole', async () => {
    const before = s.reached();
    const res = await postChunkedMultipart(`${s.server.url}${s.path}`, 32 * MIB, jpeg);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'BadRequestImageSizeBytes' });
    // Socket buffers on both sides hold a few MiB; a body read whole before the refusal would be 32.
    expect(res.sentWhenAnswered).toBeLessThan(16 * MIB);
    expect(s.reached()).toBe(before);
  });

  it('refuses an unknown project, an unknown published name, the other project type and a wrong method', async () => {
    const before = s.reached();
    const parts = s.path.split('/');
    const withPart = (index: number, value: string) =>
      parts.map((p, i) => (i === index ? value : p)).join('/');
    const projectIndex = 4;
    const typeIndex = 5;
    const nameIndex = 7;

    const unknownProject = await send({
      body: jpeg,
      path: withPart(projectIndex, '11111111-2222-4333-8444-555555555555'),
    });
    expect([unknownProject.status, unknownProject.body.code]).toEqual([404, 'NotFoundProject']);
    const unknownName = await send({ body: jpeg, path: withPart(nameIndex, 'Iteration99') });
    expect([unknownName.status, unknownName.body.code]).toEqual([404, 'NotFoundIteration']);
    const otherType = await send({ body: jpeg, path: withPart(typeIndex, 'classify') });
    expect(otherType.status).toBe(400);
    expect(otherType.body.message).toMatch(/use \/detect\//);
    const notARoute = await send({ body: jpeg, path: '/customvision/v3.1/prediction/nonsense' });
    expect(notARoute.status).toBe(404);
    const get = await send({ method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(s.reached()).toBe(before);
  });

  it('answers 400 to request targets the HTTP parser takes but are not URLs, and stays up', async () => {
    const { hostname, port } = new URL(s.server.url);
    for (const target of ['//[', 'http://[', '//a:b@', 'http://x:99999/']) {
      const head = await rawRequest(hostname, Number(port), `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(head, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(head, target).toContain('"code":"BadRequest"');
    }
    expect((await fetch(`${s.server.url}/api/health`)).status).toBe(200);
  });

  it('still serves a good request afterwards', async () => {
    const before = s.reached();
    const res = await fetch(`${s.server.url}${s.path}`, { method: 'POST', body: jpeg });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: unknown[] }).predictions.length).toBeGreaterThan(0);
    expect(s.reached()).toBe(before + 1);
  });
});
