// One request to the upstream over a pooled keep-alive connection, its answer read whole (bounded) with only
// the headers worth relaying kept: the body's type, throttling advice and Azure's request id for support.
//
// It drives undici's Pool through its low-level dispatch API: no request or response streams and no
// AbortSignal per call. Those were most of the CPU a forwarded prediction cost with node:http's client
// (bench:server, section C), and the forwarding path is what a busy kiosk fleet exercises all day.
import type { Dispatcher } from 'undici';
import type { UpstreamAnswer } from './upstream.ts';

const RELAYED_HEADERS = ['content-type', 'retry-after', 'apim-request-id', 'x-ms-request-id'] as const;
const MAX_UPSTREAM_BODY = 8 * 1024 * 1024;

export interface SendOptions {
  /** POST unless given. */
  readonly method?: 'GET' | 'POST' | 'DELETE';
  /** Path and query on the upstream's origin. */
  readonly path: string;
  readonly body?: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Called once, as the request is handed to a connection, just before undici writes it (the budget
   * times the call from then).
   */
  readonly onSent: () => void;
}

export interface PostCall {
  /** The whole answer, or the network error (or the abort reason). */
  readonly answer: Promise<UpstreamAnswer>;
  /** Gives up on the call: the answer rejects with `reason` at once and the connection is dropped. */
  abort(reason: Error): void;
}

export function sendOnce(
  pool: Dispatcher,
  { method = 'POST', path, body, headers, onSent }: SendOptions,
): PostCall {
  let controller: Dispatcher.DispatchController | undefined;
  let abortedWith: Error | undefined;
  let rejectAnswer: (error: Error) => void = () => undefined;
  const answer = new Promise<UpstreamAnswer>((resolve, reject) => {
    rejectAnswer = reject;
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 502;
    const relayed: Record<string, string> = {};
    pool.dispatch(
      {
        path,
        method,
        ...(body ? { body } : {}),
        headers: { ...headers, accept: 'application/json', 'user-agent': 'sightline-server' },
      },
      {
        onRequestStart(started) {
          controller = started;
          // Aborted while it waited for a connection: drop it before it goes out. (It held its place in
          // the pool's queue until then, like any undici request aborted early.)
          if (abortedWith) started.abort(abortedWith);
          else onSent();
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          if (statusCode < 200) return; // an interim answer (103 Early Hints): the real one follows
          status = statusCode;
          for (const name of RELAYED_HEADERS) {
            const value = responseHeaders[name];
            if (typeof value === 'string') relayed[name] = value;
          }
        },
        onResponseData(current, chunk) {
          size += chunk.length;
          if (size > MAX_UPSTREAM_BODY) current.abort(new Error('the upstream answer is implausibly large'));
          else chunks.push(chunk);
        },
        onResponseEnd() {
          const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
          resolve({ status, headers: relayed, body: whole });
        },
        onResponseError(_controller, error) {
          reject(error);
        },
      },
    );
  });
  return {
    answer,
    abort(reason) {
      if (abortedWith) return;
      abortedWith = reason;
      controller?.abort(reason);
      // At once, even while the call still waits for a connection to an unreachable host.
      rejectAnswer(reason);
    },
  };
}

/** "ECONNREFUSED", or "UND_ERR_SOCKET (other side closed)": the code first, for people and tests to match. */
export function describeNetworkError(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  return err.code
    ? `${err.code}${err.message && !err.message.includes(err.code) ? ` (${err.message})` : ''}`
    : err.message;
}
