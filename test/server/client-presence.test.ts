// A request's work stops when its client leaves: watchClient on a real loopback server.
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { watchClient, type ClientPresence } from '../../server/http/client-presence.ts';

let server: http.Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server that watches each request's client and hands the test the response to finish, or not. */
async function serve(): Promise<{
  url: string;
  next: Promise<{ res: ServerResponse; client: ClientPresence }>;
}> {
  let handOver: (value: { res: ServerResponse; client: ClientPresence }) => void = () => undefined;
  const next = new Promise<{ res: ServerResponse; client: ClientPresence }>(
    (resolve) => (handOver = resolve),
  );
  server = http.createServer((_req, res) => handOver({ res, client: watchClient(res) }));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, next };
}

describe('watchClient', () => {
  it('tells listeners and the signal when the client leaves before the answer', async () => {
    const { url, next } = await serve();
    const controller = new AbortController();
    const request = fetch(url, { signal: controller.signal }).catch(() => 'aborted');
    const { client } = await next;
    expect(client.gone).toBe(false);
    const signal = client.signal;
    const told = new Promise<void>((resolve) => client.onGone(resolve));
    controller.abort();
    await told;
    expect(client.gone).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(await request).toBe('aborted');
    // Asked after the client has gone: told at once, and a signal made now is aborted already.
    let late = false;
    client.onGone(() => (late = true));
    expect(late).toBe(true);
  });

  it('is not gone after a complete answer, and a listener that stopped watching is not called', async () => {
    const { url, next } = await serve();
    const request = fetch(url);
    const { res, client } = await next;
    let called = false;
    const stop = client.onGone(() => (called = true));
    stop();
    let afterAnswer = false;
    client.onGone(() => (afterAnswer = true));
    const closed = new Promise((resolve) => res.once('close', resolve));
    res.end('done');
    expect(await (await request).text()).toBe('done');
    await closed;
    expect(client.gone).toBe(false);
    expect(client.signal.aborted).toBe(false);
    expect(called).toBe(false);
    expect(afterAnswer).toBe(false);
  });
});
