// The app called in this process (app.request) answers exactly as it does over a socket, so tests that
// do not depend on the network can use it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestInProcess } from '../../server/http/in-process.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
/** Headers that differ between two answers whatever the transport. */
const VARYING = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'apim-request-id']);

describe('app.request', () => {
  let fake: FakeCustomVision;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT);
    server = await startTestServer({
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: fake.key,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
    });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const summary = async (res: Response) => ({
    status: res.status,
    headers: [...res.headers].filter(([name]) => !VARYING.has(name)),
    body: (await res.text()).replace(/"id":"[^"]+"|"created":"[^"]+"/g, ''),
  });

  it.each<[string, string, RequestInit]>([
    ['the config', '/api/config', {}],
    ['a HEAD of the health probe', '/api/health', { method: 'HEAD' }],
    ['a prediction', ROUTE, { method: 'POST', body: fixtureBytes(FIXTURES.coffee) }],
    [
      'a multipart prediction',
      ROUTE,
      {
        method: 'POST',
        body: (() => {
          const form = new FormData();
          form.append('imageData', new Blob([fixtureBytes(FIXTURES.coffee)]), 'coffee.jpg');
          return form;
        })(),
      },
    ],
    ['a refused body', ROUTE, { method: 'POST', body: 'not an image' }],
    ['a wrong method', '/api/config', { method: 'DELETE' }],
    ['an unknown API route', '/api/nope', {}],
  ])('answers %s as a socket does', async (_, path, init) => {
    const direct = await summary(await server.app.request(path, init));
    const overSocket = await summary(await fetch(`${server.url}${path}`, init));
    expect(direct).toEqual(overSocket);
  });

  it('fails, rather than hangs, when the app cuts the connection mid-answer', async () => {
    const cut = requestInProcess((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('half');
      res.destroy();
    }, '/');
    await expect(cut).rejects.toThrow(/closed the connection/);
  });
});
