// Limits against slow and greedy clients, and graceful shutdown, over raw sockets so that the test
// controls every byte: oversize headers, headers or bodies that stall or drip, too many connections,
// and a shutdown that finishes requests in flight while refusing new ones.
import { connect, type Socket } from 'node:net';
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

function env(fake: FakeCustomVision, extra: Record<string, string> = {}) {
  return {
    CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
    CUSTOM_VISION_PREDICTION_KEY: fake.key,
    CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
    CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
    ...extra,
  };
}

/** A raw connection (from `localAddress`, another loopback address if given) that collects what the server sends until it closes. */
function open(
  url: string,
  localAddress?: string,
): Promise<{ socket: Socket; received: () => string; closed: Promise<string> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(
      { host: hostname, port: Number(port), ...(localAddress ? { localAddress } : {}) },
      () => resolve({ socket, received: () => text, closed }),
    );
    const closed = new Promise<string>((done) => socket.on('close', () => done(text)));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
  });
}

const head = (url: string, extra = '') =>
  `POST ${ROUTE} HTTP/1.1\r\nHost: ${new URL(url).host}\r\nContent-Type: application/octet-stream\r\n${extra}`;

describe('slow and greedy clients', () => {
  let fake: FakeCustomVision;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT);
    server = await startTestServer(
      env(fake, {
        HEADERS_TIMEOUT_MS: '600',
        REQUEST_TIMEOUT_MS: '2000',
        BODY_IDLE_TIMEOUT_MS: '400',
        MAX_HEADER_BYTES: '8192',
        MAX_CONNECTIONS: '4',
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('refuses oversize headers with 431', async () => {
    const conn = await open(server.url);
    conn.socket.write(`GET /api/health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(10_000)}\r\n\r\n`);
    expect(await conn.closed).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('answers 408 to headers that never finish', async () => {
    const conn = await open(server.url);
    conn.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
    const started = performance.now();
    expect(await conn.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('answers 408 in Custom Vision shape to a body that stalls, and sends nothing upstream', async () => {
    const before = fake.requests.length;
    const conn = await open(server.url);
    conn.socket.write(`${head(server.url, `Content-Length: ${jpeg.length}\r\n`)}\r\n`);
    conn.socket.write(jpeg.subarray(0, 1000));
    const answer = await conn.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/"code":"BadRequestImageStream","message":"The request body stalled/);
    expect(fake.requests.length).toBe(before);
  });

  it('answers 408 to a body dripped too slowly to finish within the request timeout', async () => {
    const conn = await open(server.url);
    conn.socket.write(`${head(server.url, `Content-Length: ${jpeg.length}\r\n`)}\r\n`);
    let offset = 0;
    const drip = setInterval(() => {
      if (conn.socket.writable && offset < jpeg.length)
        conn.socket.write(jpeg.subarray(offset, (offset += 10)));
    }, 100);
    try {
      expect(await conn.closed).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
  });

  it('drops connections beyond MAX_CONNECTIONS, and serves again once they close', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => open(server.url)));
    const extra = await open(server.url);
    extra.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await extra.closed).toBe('');
    for (const conn of held) conn.socket.destroy();
    await Promise.all(held.map((conn) => conn.closed));
    // The server counts a connection gone when its socket closes on its side too: poll until it serves.
    let status = 0;
    while (status !== 200)
      status = await fetch(`${server.url}/api/health`).then(
        (r) => r.status,
        () => 0,
      );
    expect(status).toBe(200);
  });
});

describe('one client holding connections', () => {
  let fake: FakeCustomVision;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT);
    server = await startTestServer(
      env(fake, {
        MAX_CONNECTIONS: '60',
        MAX_CONNECTIONS_PER_CLIENT: '20',
        FIRST_REQUEST_TIMEOUT_MS: '1000',
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('cannot take the slots other clients need: its connections beyond its cap are dropped', async () => {
    // 100 silent connections from one address (127.0.0.2), more than MAX_CONNECTIONS in all.
    const greedy = await Promise.all(Array.from({ length: 100 }, () => open(server.url, '127.0.0.2')));
    try {
      // Probes one after another, as a load balancer's would come (a burst of 50 from one address would
      // meet the same per-client cap).
      const probes: number[] = [];
      for (let i = 0; i < 50; i++) {
        probes.push(
          await fetch(`${server.url}/api/health`).then(
            (res) => res.status,
            () => 0,
          ),
        );
      }
      expect(probes.filter((status) => status === 200)).toHaveLength(50);
      // The server dropped the connections beyond the cap as they came.
      const dropped = await Promise.all(
        greedy.map((conn) =>
          Promise.race([conn.closed.then(() => 1), new Promise((r) => setImmediate(r, 0))]),
        ),
      );
      expect(dropped.filter(Boolean).length).toBeGreaterThanOrEqual(80);
    } finally {
      for (const conn of greedy) conn.socket.destroy();
    }
  });

  it('drops a connection that sends nothing, well before the headers timeout', async () => {
    const silent = await open(server.url, '127.0.0.3');
    const started = performance.now();
    expect(await silent.closed).toBe('');
    // FIRST_REQUEST_TIMEOUT_MS is 1 s here; the headers timeout is the default 10 s.
    expect(performance.now() - started).toBeLessThan(9_000);
    // A connection that does send a request is not cut by that timer while it idles between requests.
    const busy = await open(server.url, '127.0.0.3');
    busy.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
    const deadline = Date.now() + 5_000;
    while (!busy.received().includes('\r\n\r\n')) {
      if (Date.now() > deadline) throw new Error('no answer to the health probe');
      await new Promise((resolve) => setTimeout(resolve, 20)); // polling interval
    }
    // Still open after twice the first-request timeout (only the keep-alive timeout, 65 s, ends it).
    const alive = await Promise.race([
      busy.closed.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, true)),
    ]);
    expect(alive).toBe(true);
    busy.socket.destroy();
  });
});

describe('graceful shutdown', () => {
  it('finishes requests in flight, refuses new ones, and stops', async () => {
    const fake = await startFakeCustomVision(PROJECT);
    const server = await startTestServer(env(fake));
    try {
      fake.behaviour = { latencyMs: 800 };
      const inFlight = fetch(`${server.url}${ROUTE}`, { method: 'POST', body: jpeg }).then(async (res) => ({
        status: res.status,
        body: await res.text(),
      }));
      while (fake.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10)); // polling
      const closing = server.close();
      expect((await fetch(`${server.url}/api/health`).catch((error: Error) => error)) instanceof Error).toBe(
        true,
      );
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({
        predictions: [{ tagName: 'widget' }, { tagName: 'gadget' }],
      });
      await closing;
      expect(server.server.listening).toBe(false);
    } finally {
      await fake.close();
    }
  });
});
