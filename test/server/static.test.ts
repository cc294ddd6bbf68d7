// The built app is served safely: no traversal, no dotfiles, right types and caching.
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStaticPath } from '../../server/routes/static.ts';
import { SERVER_ROUTES } from '../../src/shared/server-routes.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};

/** Far more than the socket buffers hold, so a client that does not read keeps the download going. */
const BIG_FILE_BYTES = 32 * 1024 * 1024;

describe('static files', () => {
  /**
   * A GET through the app in this process, the path exactly as written (fetch would normalise ".."): the
   * network plays no part in these answers. The download test below keeps a real socket.
   */
  const get = async (rawPath: string, init: RequestInit = {}) => {
    const res = await server.app.request(rawPath, init);
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  };

  let dir: string;
  let root: string;
  let fake: FakeCustomVision;
  let server: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sightline-static-'));
    root = path.join(dir, 'dist');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>Sightline</title>');
    await writeFile(path.join(root, 'assets', 'app-1a2b3c.js'), 'console.log(1)');
    await writeFile(path.join(root, 'assets', 'app-1a2b3c.js.map'), '{"sources":["src/secret.ts"]}');
    await writeFile(path.join(root, '.env'), 'SECRET=1');
    await writeFile(path.join(dir, 'outside.txt'), 'outside the web root');
    await writeFile(path.join(root, 'assets', 'big-4d5e6f.bin'), Buffer.alloc(BIG_FILE_BYTES, 1));
    // The upstream does not matter here; a fake one starts faster than the model.
    fake = await startFakeCustomVision(PROJECT);
    server = await startTestServer(
      {
        CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
        CUSTOM_VISION_PREDICTION_KEY: fake.key,
        CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
        CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
      },
      { staticDir: root },
    );
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html revalidated, with a CSP, and hashed assets cached for good', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const asset = await get('/assets/app-1a2b3c.js');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await server.app.request('/index.html');
    const etag = first.headers.get('etag')!;
    const again = await server.app.request('/index.html', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
  });

  it.each([
    '/../outside.txt',
    '/assets/../../outside.txt',
    '/%2e%2e/outside.txt',
    '/.env',
    '/assets/%2e%2e%2f%2e%2e%2foutside.txt',
    '/..%5coutside.txt',
    '/index.html%00.js',
  ])('refuses %s', async (rawPath) => {
    const res = await get(rawPath);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside the web root');
    expect(res.body).not.toContain('SECRET');
  });

  it('counts a download as in flight until the whole file is sent (a shutdown waits for it)', async () => {
    const { hostname, port } = new URL(server.url);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request({ hostname, port, path: '/assets/big-4d5e6f.bin' }, resolve).on('error', reject).end();
    });
    res.pause(); // the client reads nothing yet
    expect(res.statusCode).toBe(200);
    expect(server.app.inFlight()).toBe(1);
    let received = 0;
    res.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise((resolve) => res.on('end', resolve).resume());
    expect(received).toBe(BIG_FILE_BYTES);
    await expect.poll(() => server.app.inFlight()).toBe(0);
  });

  it('does not serve source maps, though they are on disk', async () => {
    expect((await get('/assets/app-1a2b3c.js')).status).toBe(200);
    const map = await get('/assets/app-1a2b3c.js.map');
    expect(map.status).toBe(404);
    expect(map.body).not.toContain('sources');
    expect((await get('/assets/app-1a2b3c.js%2emap')).status).toBe(404);
  });

  it('keeps resolved paths inside the root', () => {
    expect(resolveStaticPath('/srv/dist', '/a/b.js')).toBe('/srv/dist/a/b.js');
    expect(resolveStaticPath('/srv/dist', '/a/../../etc/passwd')).toBeUndefined();
    expect(resolveStaticPath('/srv/dist', '/.git/config')).toBeUndefined();
  });

  it('answers unknown API routes and wrong methods with JSON errors', async () => {
    const missing = await server.app.request('/api/nope');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('NotFound');
    expect(((await (await server.app.request('/customvision/v9/x')).json()) as { code: string }).code).toBe(
      'NotFound',
    );
    // Every route of the table refuses the methods it does not take, saying which it does.
    for (const route of SERVER_ROUTES) {
      // A path of the route's shape: the first of alternatives, "x" for a parameter, no optional part.
      const path = route.shape
        .replace(/\{([^}|]*)\|[^}]*\}/g, '$1')
        .replace(/\{[^}]*\}/g, 'x')
        .replace(/\[[^\]]*\]/g, '')
        .replace(/\.\.\.$/, 'x');
      const method = ['PUT', 'PATCH', 'DELETE', 'POST'].find((m) => !route.methods.includes(m))!;
      const res = await server.app.request(path, { method });
      expect([route.name, res.status]).toEqual([route.name, 405]);
      expect(res.headers.get('allow')).toBe(route.methods.join(', '));
      expect(((await res.json()) as { code: string }).code).toBe('BadRequestNotSupported');
    }
    const put = await server.app.request('/index.html', { method: 'PUT' });
    expect(put.status).toBe(405);
  });
});
