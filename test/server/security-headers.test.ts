// Security headers on every response, HSTS only over HTTPS (the server's own TLS, or a trusted proxy's),
// the origin policy (same origin by default, ALLOWED_ORIGINS to open it, a foreign origin refused before
// any work), and the loopback Host check that stops DNS rebinding while the server runs open.
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
const TOKEN = 'headers-test-token-0123456789';
const jpeg = fixtureBytes(FIXTURES.coffee);

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers (fetch would add or forbid some, Host and Origin among them). */
function raw(
  url: string,
  method: string,
  pathName: string,
  headers: Record<string, string> = {},
  body?: Buffer,
  ca?: Buffer,
): Promise<Raw> {
  const { hostname, port, protocol } = new URL(url);
  const send = protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({ hostname, port, path: pathName, method, headers, ...(ca ? { ca } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function expectSecurityHeaders(res: Raw): void {
  const csp = String(res.headers['content-security-policy']);
  expect(csp).toMatch(/default-src 'self'/);
  // Own scripts only, and WebAssembly compiled (the on-device model's runtime); never inline or eval'd script.
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  expect(csp).toMatch(/frame-ancestors 'none'/);
  expect(res.headers['permissions-policy']).toMatch(/camera=\(self\)/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('same-origin');
  expect(res.headers['x-request-id']).toMatch(/^[\w.-]+$/);
}

describe('security headers and the origin policy', () => {
  let dir: string;
  let fake: FakeCustomVision;
  let open: TestServer;
  let guarded: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sightline-headers-'));
    await mkdir(path.join(dir, 'dist'));
    await writeFile(path.join(dir, 'dist', 'index.html'), '<!doctype html><title>Sightline</title>');
    fake = await startFakeCustomVision(PROJECT);
    const env = {
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: fake.key,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
    };
    open = await startTestServer(env, { staticDir: path.join(dir, 'dist') });
    guarded = await startTestServer(
      { ...env, ACCESS_TOKENS: TOKEN, ALLOWED_ORIGINS: 'https://kiosk.example.org', TRUST_PROXY: '1' },
      { staticDir: path.join(dir, 'dist') },
    );
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sets them on every kind of response, and no HSTS over plain HTTP', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const answers = [
      await raw(open.url, 'GET', '/'),
      await raw(open.url, 'GET', '/api/config'),
      await raw(open.url, 'GET', '/nothing-here.js'),
      await raw(open.url, 'PUT', '/api/health'),
      await raw(open.url, 'POST', ROUTE, {}, Buffer.from('not an image')),
      await raw(guarded.url, 'GET', '/api/config'),
      await raw(guarded.url, 'GET', '/pair'),
      await raw(guarded.url, 'POST', ROUTE, auth, jpeg),
      await raw(guarded.url, 'GET', '/metrics', auth),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 405, 400, 401, 200, 200, 200]);
    for (const answer of answers) {
      expectSecurityHeaders(answer);
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('sends HSTS behind a trusted HTTPS proxy, but not for a client claiming it itself', async () => {
    const viaProxy = await raw(guarded.url, 'GET', '/', { 'X-Forwarded-Proto': 'https' });
    expect(viaProxy.headers['strict-transport-security']).toBe('max-age=31536000');
    const spoofed = await raw(open.url, 'GET', '/', { 'X-Forwarded-Proto': 'https' });
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
  });

  it('refuses a foreign origin with 403 before anything reaches the upstream', async () => {
    const before = fake.requests.length;
    for (const server of [open, guarded]) {
      const res = await raw(
        server.url,
        'POST',
        ROUTE,
        { Origin: 'https://evil.example', Authorization: `Bearer ${TOKEN}` },
        jpeg,
      );
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({
        code: 'Forbidden',
        message: expect.stringMatching(/ALLOWED_ORIGINS/) as unknown,
      });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await raw(server.url, 'OPTIONS', ROUTE, {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'POST',
      });
      expect(preflight.status).toBe(403);
    }
    expect(fake.requests.length).toBe(before);
  });

  it('serves its own origin, and opens CORS to ALLOWED_ORIGINS only', async () => {
    const own = new URL(open.url).host;
    const same = await raw(open.url, 'POST', ROUTE, { Origin: `http://${own}` }, jpeg);
    expect(same.status).toBe(200);
    expect(same.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = await raw(guarded.url, 'OPTIONS', ROUTE, {
      Origin: 'https://kiosk.example.org',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://kiosk.example.org');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
    // Training routes from another origin: the SDK's Training-Key header and DELETE.
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Training-Key/);
    expect(preflight.headers['access-control-allow-methods']).toMatch(/DELETE/);
    const cross = await raw(
      guarded.url,
      'POST',
      ROUTE,
      { Origin: 'https://kiosk.example.org', Authorization: `Bearer ${TOKEN}` },
      jpeg,
    );
    expect(cross.status).toBe(200);
    expect(cross.headers['access-control-allow-origin']).toBe('https://kiosk.example.org');
    expect(cross.headers['vary']).toMatch(/Origin/);
  });

  it('while open on loopback, answers only to loopback host names (no DNS rebinding)', async () => {
    const port = new URL(open.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await raw(open.url, 'GET', '/api/config', { Host: host })).status).toBe(200);
    }
    const rebound = await raw(open.url, 'GET', '/api/config', { Host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/loopback names/);
    // With access control the token protects it, whatever the name.
    expect(
      (
        await raw(guarded.url, 'GET', '/api/config', {
          Host: 'sightline.example.org',
          Authorization: `Bearer ${TOKEN}`,
        })
      ).status,
    ).toBe(200);
  });
});

describe('TLS', () => {
  it('serves HTTPS from TLS_CERT_FILE and TLS_KEY_FILE, with HSTS', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sightline-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
    } catch (error) {
      throw new Error(
        `This test makes a throw-away certificate with openssl; install it (apt-get install -y openssl): ${String(error)}`,
        { cause: error },
      );
    }
    const server = await startTestServer({
      TLS_CERT_FILE: cert,
      TLS_KEY_FILE: key,
      LOCAL_DETECTOR_WORKERS: '1',
    });
    try {
      expect(server.url).toMatch(/^https:\/\//);
      const res = await raw(server.url, 'GET', '/api/health', {}, undefined, await readFile(cert));
      expect(res.status).toBe(200);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
      expectSecurityHeaders(res);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
