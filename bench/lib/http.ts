// The benchmark's HTTP client: plain node:http over keep-alive connections, timing each request from the
// moment it is issued until its whole answer has arrived. Same client for every target, so its own cost
// cancels out of the comparisons.
import http, { type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Client-measured time from issuing the request to the last byte of the answer. */
  readonly ms: number;
}

/** A free loopback port: the one the kernel hands out for port 0 (released again before it is used). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Every client not yet closed, so that Ctrl-C can drop their connections (see closeAllClients). */
const openClients = new Set<KeepAliveClient>();

export class KeepAliveClient {
  private readonly agent: http.Agent;
  /** Connections opened so far: with keep-alive working this stays at the number of sockets allowed. */
  connectionsOpened = 0;

  constructor(maxSockets = 1) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    openClients.add(this);
  }

  post(url: string, body: Buffer, headers: Readonly<Record<string, string>> = {}): Promise<Answer> {
    return this.request(url, 'POST', { 'Content-Type': 'application/octet-stream', ...headers }, body);
  }

  get(url: string, headers: Readonly<Record<string, string>> = {}): Promise<Answer> {
    return this.request(url, 'GET', { ...headers });
  }

  private request(
    url: string,
    method: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        url,
        {
          method,
          agent: this.agent,
          headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
        },
        (res) => {
          if (!req.reusedSocket) this.connectionsOpened++;
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const ms = performance.now() - started;
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms });
          });
        },
      );
      // A hung server must not hang the benchmark.
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} got no answer within 30 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
    openClients.delete(this);
  }
}

/**
 * Drops every open connection. A server stopping cleanly waits for its keep-alive connections, and a
 * benchmark loop would keep them busy, so this comes before asking the servers to stop on Ctrl-C.
 */
export function closeAllClients(): void {
  for (const client of openClients) client.close();
}

/** Throws with the status and the start of the body unless the answer is a 200. */
export function expectOk(answer: Answer, what: string): Answer {
  if (answer.status !== 200) {
    throw new Error(`${what} answered HTTP ${answer.status}: ${answer.body.toString('utf8').slice(0, 300)}`);
  }
  return answer;
}

/** GET a JSON document on a connection of its own, closed afterwards. */
export async function getJson<T>(url: string): Promise<T> {
  const client = new KeepAliveClient();
  try {
    return JSON.parse(expectOk(await client.get(url), url).body.toString('utf8')) as T;
  } finally {
    client.close();
  }
}
