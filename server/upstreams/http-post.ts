// One POST to an upstream over a keep-alive agent, its answer read whole (bounded) with only the headers
// worth relaying kept: the body's type, throttling advice and Azure's request id for support.
import type http from 'node:http';
import type https from 'node:https';
import type { UpstreamAnswer } from './upstream.ts';

const RELAYED_HEADERS = ['content-type', 'retry-after', 'apim-request-id', 'x-ms-request-id'] as const;
const MAX_UPSTREAM_BODY = 8 * 1024 * 1024;

export interface PostOptions {
  readonly agent: http.Agent;
  readonly signal: AbortSignal;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  /** Called once the request has been handed to the network in full. */
  readonly onSent: () => void;
}

export function postOnce(
  client: typeof http | typeof https,
  url: string,
  { agent, signal, body, headers, onSent }: PostOptions,
): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        agent,
        signal,
        headers: {
          ...headers,
          'Content-Length': body.length,
          Accept: 'application/json',
          'User-Agent': 'sightline-server',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_UPSTREAM_BODY) res.destroy(new Error('the upstream answer is implausibly large'));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const relayed: Record<string, string> = {};
          for (const name of RELAYED_HEADERS) {
            const value = res.headers[name];
            if (typeof value === 'string') relayed[name] = value;
          }
          resolve({ status: res.statusCode ?? 502, headers: relayed, body: Buffer.concat(chunks, size) });
        });
      },
    );
    req.on('error', reject);
    req.on('finish', onSent);
    req.end(body);
  });
}

/** "ECONNREFUSED", or "ECONNRESET (socket hang up)": the code first, for people and tests to match. */
export function describeNetworkError(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  return err.code
    ? `${err.code}${err.message && !err.message.includes(err.code) ? ` (${err.message})` : ''}`
    : err.message;
}
