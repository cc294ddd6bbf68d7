// Calls the app's request handler in this process, with no socket and no port: a fetch-style Request in,
// a Response out (hono's app.request() is the model). Tests use it where the network does not matter,
// so they need no listening server, no free port and no connection; what depends on real sockets
// (slow clients, connection limits, back-pressure, TLS) keeps real sockets.
//
// The handler is written against node:http, so it gets node:http's own IncomingMessage and
// ServerResponse, the response writing into a socket stand-in whose bytes are read back as HTTP.
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface InProcessOptions {
  /** The address the request seems to come from (default 127.0.0.1). */
  readonly remoteAddress?: string;
}

/** Collects what the response writes; has the few socket members node:http and the app read. */
class CapturingSocket extends Duplex {
  readonly written: Buffer[] = [];
  readonly remotePort = 0;
  constructor(readonly remoteAddress: string) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.written.push(Buffer.from(chunk));
    done();
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

export async function requestInProcess(
  handle: RequestHandler,
  target: string,
  init: RequestInit = {},
  options: InProcessOptions = {},
): Promise<Response> {
  // A Request normalises what fetch accepts (strings, bytes, FormData with its boundary) into bytes and
  // headers; the target itself is passed on exactly as given, so tests can send paths fetch would rewrite.
  const normalised = new Request(`http://in-process.invalid${target.startsWith('/') ? '' : '/'}`, init);
  const body = Buffer.from(await normalised.arrayBuffer());
  const headers: Record<string, string> = { host: 'localhost' };
  normalised.headers.forEach((value, name) => (headers[name] = value));
  if (body.length > 0 && headers['content-length'] === undefined)
    headers['content-length'] = String(body.length);

  const socket = new CapturingSocket(options.remoteAddress ?? '127.0.0.1');
  const req = new IncomingMessage(socket as unknown as Socket);
  req.method = normalised.method;
  req.url = target;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = '1.1';
  req.headers = headers;
  req.rawHeaders = Object.entries(headers).flat();
  const res = new ServerResponse(req);
  res.assignSocket(socket as unknown as Socket);
  const finished = new Promise<void>((resolve, reject) => {
    res.once('finish', resolve);
    res.once('error', reject);
    // The app destroys a response it cannot finish (an error after the headers went out): a socket
    // client would see the connection cut, so this rejects rather than waiting for ever.
    socket.once('close', () =>
      res.writableFinished ? resolve() : reject(new Error('the app closed the connection without an answer')),
    );
  });

  handle(req, res);
  // The whole body is here at once, as a parser would have it once the message is complete.
  req.complete = true;
  if (body.length > 0) req.push(body);
  req.push(null);
  await finished;
  res.detachSocket(socket as unknown as Socket);
  // node:http's server emits this once an answer is out; the app watches it to tell a client that left.
  res.emit('close');
  return parseResponse(Buffer.concat(socket.written), req.method === 'HEAD');
}

/** Reads back an HTTP/1.1 response as node:http wrote it: status line, headers, a plain or chunked body. */
function parseResponse(raw: Buffer, head: boolean): Response {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  let body = raw.subarray(end + 4);
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = unchunk(body);
  headers.delete('transfer-encoding');
  const empty = head || status === 204 || status === 304 || body.length === 0;
  return new Response(empty ? null : body, { status, headers });
}

function unchunk(chunked: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = chunked.indexOf('\r\n', at);
    const size = parseInt(chunked.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(chunked.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
