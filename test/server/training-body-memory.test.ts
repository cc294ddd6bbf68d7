// Large training bodies being read at once share a memory budget: a second large upload while one is
// being read is told to come back (429 with Retry-After) instead of both filling the heap; one alone
// always fits; small calls pass beside a large one.
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyMemory } from '../../server/routes/body-memory.ts';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { oneRequest } from '../support/one-request.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const KEY = 'K'.repeat(32);
const MIB = 1024 * 1024;

describe('BodyMemory', () => {
  it('admits what fits, one alone whatever its size, and takes back what is given back', () => {
    const memory = new BodyMemory(100);
    const huge = memory.reserve(500); // alone: admitted
    expect(() => memory.reserve(1)).toThrow(/other large uploads/);
    huge();
    huge(); // a second call gives nothing back twice
    expect(memory.bytesInUse).toBe(0);
    const a = memory.reserve(60);
    const b = memory.reserve(40);
    expect(() => memory.reserve(1)).toThrow();
    a();
    b();
    expect(memory.bytesInUse).toBe(0);
  });
});

describe('training uploads read at once', () => {
  let fake: FakeTraining;
  let server: TestServer;
  let path: string;
  const held: Socket[] = [];
  beforeAll(async () => {
    fake = await startFakeTraining({ key: KEY });
    server = await startTestServer({
      LOCAL_DETECTOR_WORKERS: '1',
      CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
      CUSTOM_VISION_TRAINING_KEY: KEY,
      CUSTOM_VISION_PROJECT_ID: fake.projectId,
      // A body that stops coming is refused after this: an upload admitted but never finished ends soon.
      BODY_IDLE_TIMEOUT_MS: '2000',
    });
    path = `/customvision/v3.3/training/projects/${fake.projectId}/images`;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await server?.close();
    await fake?.close();
  });

  /** Starts a 300 MiB multipart upload and sends only its first bytes: the server is reading it. */
  function startLargeUpload(): Promise<Socket> {
    const { hostname, port } = new URL(server.url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=X\r\n` +
            `Content-Length: ${300 * MIB}\r\n\r\n--X\r\nContent-Disposition: form-data; name="a"; filename="a.jpg"\r\n\r\n`,
        );
        resolve(socket);
      });
      socket.on('error', () => undefined);
      held.push(socket);
    });
  }

  /** Another 300 MiB upload, of which only the first bytes ever come. */
  const secondUpload = () =>
    oneRequest(`${server.url}${path}`, {
      headers: { 'Content-Type': 'multipart/form-data; boundary=X', 'Content-Length': String(300 * MIB) },
      body: Readable.from([Buffer.from('--X\r\n')]),
    });

  it('tells a second large upload to come back while one is being read, and reads it once that one is gone', async () => {
    const first = await startLargeUpload();
    // The first reserves its 300 MiB as soon as the server starts reading it: wait for that.
    const deadline = Date.now() + 1_500;
    let second = await secondUpload();
    while (second.status !== 429 && Date.now() < deadline) second = await secondUpload();
    expect(second.status).toBe(429);
    expect(JSON.parse(second.body)).toMatchObject({ code: '429' });
    expect(fake.requests).toHaveLength(0);
    // A small call passes beside it.
    expect((await fetch(`${server.url}${path.replace(/images$/, 'tags')}`)).status).toBe(200);
    // Once the first is gone its memory is given back: the same upload is now read (and, as it never
    // finishes, refused for stalling), not turned away.
    first.destroy();
    await new Promise((resolve) => first.once('close', resolve));
    // The server learns of the close a moment after the client: a 429 until then.
    const until = Date.now() + 3_000;
    let again = await secondUpload();
    while (again.status === 429 && Date.now() < until) again = await secondUpload();
    expect(again.status).toBe(408);
  });
});
