// A stand-in for Azure Custom Vision's prediction service: a real HTTP server on loopback that speaks the
// documented contract (paths, Prediction-Key, octet-stream or multipart `imageData`, ImagePrediction and
// error shapes), records what it was sent, and can be told to misbehave. Used by the server tests and
// the benchmarks; run it alone with `node --import tsx test/support/fake-custom-vision.ts --port 9000`.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseArgs } from 'node:util';

export interface FakeProject {
  readonly projectId: string;
  readonly publishedName: string;
  readonly type: 'detect' | 'classify';
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly bodyBytes: number;
  readonly body: Buffer;
  /** Date.now() when the request's body had arrived. */
  readonly at: number;
  /** Date.now() when the request began to arrive (what a rate limiter upstream would count). */
  readonly startedAt: number;
  /** The status the fake answered with (undefined while hanging). */
  status?: number;
}

/** What the fake does with the next requests; `answer` overrides the normal prediction. */
export interface FakeBehaviour {
  latencyMs?: number;
  hang?: boolean;
  answer?: { status: number; body: string; headers?: Record<string, string> };
  /**
   * Custom Vision's throttling: at most this many predictions in any one second (a sliding window),
   * beyond which the fake answers 429 with Retry-After: 1, as the cloud's gateway does.
   */
  ratePerSecond?: number;
  /** Destroy the connection without answering (a reset). */
  reset?: boolean;
}

export interface FakeCustomVision {
  readonly url: string;
  readonly key: string;
  readonly requests: RecordedRequest[];
  /** Remote ports of every connection opened to the fake (to check keep-alive). */
  readonly connections: number[];
  behaviour: FakeBehaviour;
  /** Behaviours for the next requests, one each (taken first), before `behaviour` applies again. */
  queue: FakeBehaviour[];
  /** The most predictions that began to arrive within any one second (a sliding window), since `since`. */
  maxPerSecond(since?: number): number;
  close(): Promise<void>;
}

const PATH =
  /^\/customvision\/v3\.[01]\/prediction\/([^/]+)\/(detect|classify)\/iterations\/([^/]+)\/(image|url)(\/nostore)?$/i;

const DETECTIONS = [
  { tagName: 'widget', probability: 0.91, boundingBox: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 } },
  { tagName: 'gadget', probability: 0.42, boundingBox: { left: 0.5, top: 0.5, width: 0.25, height: 0.25 } },
];

const THROTTLED = JSON.stringify({
  error: {
    code: '429',
    message:
      'Requests to the DetectImage Operation under Custom Vision Prediction have exceeded rate limit of your current tier. Please retry after 1 second.',
  },
});

/** The gateway's answer to a missing or wrong key: the Cognitive Services envelope, not CustomVisionError. */
export const GATEWAY_UNAUTHORIZED = {
  error: {
    code: '401',
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  },
};

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

export async function startFakeCustomVision(
  project: FakeProject,
  options: { key?: string; port?: number; behaviour?: FakeBehaviour } = {},
): Promise<FakeCustomVision> {
  const key = options.key ?? 'f'.repeat(32);
  const requests: RecordedRequest[] = [];
  const connections: number[] = [];
  const sockets = new Set<Socket>();
  /** Arrival times of the predictions admitted in the last second, for ratePerSecond. */
  const admitted: number[] = [];
  const tagIds = new Map(DETECTIONS.map((d) => [d.tagName, randomUUID()]));
  const iteration = randomUUID();

  const fake: FakeCustomVision = {
    url: '',
    key,
    requests,
    connections,
    behaviour: options.behaviour ?? {},
    queue: [],
    maxPerSecond: (since = 0) => {
      const times = requests
        .map((r) => r.startedAt)
        .filter((t) => t >= since)
        .sort((a, b) => a - b);
      let most = 0;
      for (let i = 0, j = 0; j < times.length; j++) {
        while (times[j]! - times[i]! >= 1000) i++;
        most = Math.max(most, j - i + 1);
      }
      return most;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const startedAt = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    // For benchmarks running the fake as a child: how many predictions arrived, and the most in a second.
    if (req.method === 'GET' && path === '/__fake/stats') {
      const since = Number(url.searchParams.get('since') ?? 0);
      const count = requests.filter((r) => r.startedAt >= since).length;
      send(res, 200, { requests: count, maxPerSecond: fake.maxPerSecond(since) });
      return;
    }
    const record: RecordedRequest = {
      method: req.method ?? '',
      path,
      headers: req.headers,
      bodyBytes: body.length,
      body,
      at: Date.now(),
      startedAt,
    };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));

    const behaviour = fake.queue.shift() ?? fake.behaviour;
    if (behaviour.hang) return; // never answer
    if (behaviour.reset) {
      req.socket.destroy();
      return;
    }
    if (behaviour.ratePerSecond !== undefined) {
      const now = Date.now();
      while (admitted.length && admitted[0]! <= now - 1000) admitted.shift();
      if (admitted.length >= behaviour.ratePerSecond) {
        send(res, 429, THROTTLED, { 'Retry-After': '1' });
        return;
      }
      admitted.push(now);
    }
    if (behaviour.latencyMs) await new Promise((resolve) => setTimeout(resolve, behaviour.latencyMs));
    if (behaviour.answer) {
      send(res, behaviour.answer.status, behaviour.answer.body, behaviour.answer.headers);
      return;
    }
    if (req.headers['prediction-key'] !== key) {
      send(res, 401, GATEWAY_UNAUTHORIZED);
      return;
    }
    const match = PATH.exec(path);
    if (req.method !== 'POST' || !match) {
      send(res, 404, { error: { code: '404', message: 'Resource not found' } });
      return;
    }
    const [, projectId, type, publishedName, input] = match;
    if (projectId!.toLowerCase() !== project.projectId.toLowerCase()) {
      send(res, 404, { code: 'NotFoundProject', message: 'Invalid project' });
      return;
    }
    if (decodeURIComponent(publishedName!) !== project.publishedName) {
      send(res, 404, { code: 'NotFoundIteration', message: 'Invalid iteration' });
      return;
    }
    if (input === 'image' && body.length === 0) {
      send(res, 400, { code: 'BadRequestImageStream', message: 'Bad Request Image Stream' });
      return;
    }
    const predictions = DETECTIONS.map((d) => ({
      probability: d.probability,
      tagId: tagIds.get(d.tagName),
      tagName: d.tagName,
      ...(type === 'detect' ? { boundingBox: d.boundingBox } : {}),
    }));
    send(res, 200, {
      id: randomUUID(),
      project: project.projectId,
      iteration,
      created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      predictions,
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    connections.push(socket.remotePort ?? 0);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { url: `http://127.0.0.1:${port}` });
}

// Stand-alone: `node --import tsx test/support/fake-custom-vision.ts --port 9000 --latency-ms 0`;
// GET /__fake/stats[?since=<ms since the epoch>] then says how many predictions arrived and the most in a second.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'latency-ms': { type: 'string', default: '0' },
      'rate-per-second': { type: 'string' },
      'project-id': { type: 'string', default: '0f0f0f0f-1111-4222-8333-444455556666' },
      'published-name': { type: 'string', default: 'Iteration1' },
      key: { type: 'string' },
    },
  });
  const fake = await startFakeCustomVision(
    { projectId: values['project-id'], publishedName: values['published-name'], type: 'detect' },
    {
      port: Number(values.port),
      key: values.key,
      behaviour: {
        latencyMs: Number(values['latency-ms']),
        ...(values['rate-per-second'] ? { ratePerSecond: Number(values['rate-per-second']) } : {}),
      },
    },
  );
  // Under a benchmark, keep only what /__fake/stats needs of each request (not its body or headers).
  const push = fake.requests.push.bind(fake.requests);
  fake.requests.push = (...records) =>
    push(...records.map((r) => ({ ...r, body: Buffer.alloc(0), headers: {} })));
  process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
}
