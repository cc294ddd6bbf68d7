// A gate in front of a fake Custom Vision service that refuses, as Azure's gateway does, every call over
// a cap in any second (429, Retry-After: 1), and records when each admitted call arrived: the benchmarks
// measure a client's pace against the upstream's cap with it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A gate in front of the fake: more than `cap` calls in any second get the gateway's 429. */
export function startGate(upstream: string, cap: number) {
  const admitted: number[] = [];
  const counts = { forwarded: 0, refused: 0, times: [] as number[] };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const now = performance.now();
    while (admitted.length && admitted[0]! <= now - 1000) admitted.shift();
    if (admitted.length >= cap) {
      counts.refused++;
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '1' });
      res.end('{"error":{"code":"429","message":"Rate limit is exceeded. Please retry after 1 second."}}');
      req.resume();
      return;
    }
    admitted.push(now);
    counts.forwarded++;
    counts.times.push(now);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([name]) => !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name),
        ),
      ) as Record<string, string>;
      void fetch(`${upstream}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      }).then(async (answer) => {
        const body = Buffer.from(await answer.arrayBuffer());
        res.writeHead(answer.status, {
          'Content-Type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(body);
      });
    });
  });
  return new Promise<{ url: string; counts: typeof counts; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
