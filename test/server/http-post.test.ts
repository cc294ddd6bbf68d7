// One upstream POST through undici's pool (server/upstreams/http-post.ts), against real loopback servers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { sendOnce } from '../../server/upstreams/http-post.ts';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function upstream(handler: http.RequestListener): Promise<Pool> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  closers.push(
    () => new Promise((resolve) => server.close(resolve)),
    () => server.closeAllConnections() as unknown as Promise<void>,
  );
  closers.push(() => pool.destroy());
  return pool;
}

const post = (pool: Pool, onSent = () => undefined) =>
  sendOnce(pool, {
    path: '/p',
    body: Buffer.from('image'),
    headers: { 'content-type': 'image/jpeg' },
    onSent,
  });

describe('sendOnce', () => {
  it('relays the final answer, not an interim 103, and only the headers worth relaying', async () => {
    const pool = await upstream((req, res) => {
      req.resume();
      res.writeEarlyHints({ link: '</x>; rel=preload', 'retry-after': '9' });
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Other': 'no', 'apim-request-id': 'abc' });
      res.end('{"ok":true}');
    });
    let sent = 0;
    const answer = await post(pool, () => void sent++).answer;
    expect(answer.status).toBe(200);
    expect(answer.headers).toEqual({ 'content-type': 'application/json', 'apim-request-id': 'abc' });
    expect(answer.body.toString()).toBe('{"ok":true}');
    expect(sent).toBe(1);
  });

  it('rejects at once when aborted, and the upstream connection is dropped', async () => {
    let arrived: () => void = () => undefined;
    let closed: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const dropped = new Promise<void>((resolve) => (closed = resolve));
    const pool = await upstream((req) => {
      req.resume();
      req.socket.once('close', closed); // never answers
      arrived();
    });
    const call = post(pool);
    await reached;
    call.abort(new Error('deadline passed'));
    await expect(call.answer).rejects.toThrow('deadline passed');
    await dropped;
  });
});
