// One HTTP request on a connection of its own, for tests and benchmarks that need what fetch does not
// give: a request from another loopback address (per-address limits), a streamed body, and a body the
// server may refuse before it has all arrived (an answer all the same, not an error).
import { request } from 'node:http';
import { Readable } from 'node:stream';

export interface OneAnswer {
  readonly status: number;
  readonly body: string;
}

export interface OneRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | Readable;
  /** Speak from this local address (another loopback address, 127.0.0.2, for per-address limits). */
  readonly localAddress?: string;
}

export function oneRequest(url: string, init: OneRequest = {}): Promise<OneAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? 'POST',
        headers: { Connection: 'close', ...init.headers },
        agent: false,
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
      },
      (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (chunk: string) => (body += chunk))
          .on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    // The server may refuse a body before it has all arrived and close the connection: that is an answer.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    if (init.body instanceof Readable) init.body.pipe(req);
    else req.end(init.body);
  });
}
