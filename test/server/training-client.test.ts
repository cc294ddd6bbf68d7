// The app's TrainingClient (src/api/training-client.ts) against the real server and its local training
// store, as the outbox and the iterations panel use it: what /api/config says about training (pace,
// published iteration), uploads with regions and their OKDuplicate on a retry, promotion of a stored
// prediction by id, iterations, and the outcomes the outbox decides on: refused (403 for a predict-only
// device, 400 for training a detection project locally) and unreachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ServerConfig } from '../../src/api/server-info.ts';
import { isImageCreated, TrainingClient } from '../../src/api/training-client.ts';
import { LOCAL_ITERATION_ID, LOCAL_PUBLISHED_NAME } from '../../server/upstreams/local.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startFakeTraining } from '../support/fake-custom-vision-training.ts';
import { freePort } from '../support/spawn-server.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const MANAGER = 'client-manager-0123456789abcdef';
const KIOSK = 'client-kiosk-0123456789abcdefgh';

describe('TrainingClient against the server with its local training store', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      LOCAL_DETECTOR_WORKERS: '1',
      ACCESS_TOKENS: `ops@manage:${MANAGER},lobby:${KIOSK}`,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** fetch as the page would make it: the server's paths, the device's token. */
  const fetchAs =
    (token: string): typeof fetch =>
    (input, init) =>
      fetch(`${server.url}${input as string}`, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), Authorization: `Bearer ${token}` },
      });

  async function configFor(token: string): Promise<ServerConfig> {
    const answer = await fetchAs(token)('/api/config');
    expect(answer.status).toBe(200);
    return parseConfig(await answer.json());
  }

  async function managerClient() {
    const config = await configFor(MANAGER);
    if (!config.training.available) throw new Error('training is not available');
    return { config, client: new TrainingClient(config.training, { fetch: fetchAs(MANAGER) }) };
  }

  it('tells the app the iteration behind the published name, and a default pace for an unlimited store', async () => {
    // The first answer starts the lookup through the training backend; a later one carries it.
    await expect
      .poll(async () => (await configFor(MANAGER)).models[0]?.publishedIteration, { timeout: 20_000 })
      .toEqual({ id: LOCAL_ITERATION_ID, name: LOCAL_PUBLISHED_NAME });
    const { training } = await configFor(MANAGER);
    expect(training.available && training.pace?.basis).toMatch(/default/);
  });

  it('reads the project and its tags, uploads a frame with a region, and counts the retry as done (OKDuplicate)', async () => {
    const { client } = await managerClient();
    const project = await client.getProject();
    expect(project.ok).toBe(true);
    if (!project.ok) return;
    const domain = await client.getDomain(project.value.domainId!);
    expect(domain.ok && domain.value.type).toBe('ObjectDetection');
    const tags = await client.getTags();
    const cup = tags.ok ? tags.value.find((tag) => tag.name === 'cup') : undefined;
    expect(cup).toBeDefined();

    const entry = {
      name: 'client-id-1',
      contents: new Uint8Array(fixtureBytes(FIXTURES.coffee)),
      regions: [{ tagId: cup!.id, ...FIXTURES.coffee.box }],
    };
    const first = await client.createImagesFromFiles([entry]);
    expect(first.ok && first.status).toBe(200);
    expect(first.ok && first.value.images.map((image) => image.status)).toEqual(['OK']);
    const again = await client.createImagesFromFiles([entry]);
    expect(again.ok && again.value.images[0]?.status).toBe('OKDuplicate');
    expect(again.ok && isImageCreated(again.value.images[0]!)).toBe(true);
  });

  it('promotes a prediction the detector stored, by its id', async () => {
    const { config, client } = await managerClient();
    const model = config.models[0]!;
    const stored = await fetchAs(MANAGER)(
      `/customvision/v3.0/prediction/${model.projectId}/detect/iterations/${model.publishedName}/image`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new Uint8Array(fixtureBytes(FIXTURES.astronaut)),
      },
    );
    expect(stored.status).toBe(200);
    const { id } = (await stored.json()) as { id: string };
    const tags = await client.getTags();
    const person = tags.ok ? tags.value.find((tag) => tag.name === 'person') : undefined;
    const promoted = await client.createImagesFromPredictions([
      { id, regions: [{ tagId: person!.id, ...FIXTURES.astronaut.box }] },
    ]);
    expect(promoted.ok && promoted.value.images.map((image) => image.status)).toEqual(['OK']);
  });

  it("lists the detector's iteration as published and completed; training a detection project locally is refused with a reason", async () => {
    const { client } = await managerClient();
    const iterations = await client.getIterations();
    expect(iterations.ok && iterations.value).toEqual([
      expect.objectContaining({
        id: LOCAL_ITERATION_ID,
        status: 'Completed',
        publishName: LOCAL_PUBLISHED_NAME,
      }),
    ]);
    const train = await client.trainProject();
    expect(train.ok).toBe(false);
    if (train.ok) return;
    expect(train.failure).toMatchObject({ kind: 'refused', status: 400 });
    expect(train.failure.message.length).toBeGreaterThan(20);
  });

  it('a predict-only device is told it may not upload (403, refused, never retried as busy)', async () => {
    const config = await configFor(KIOSK);
    expect(config.caller.role).toBe('predict');
    expect(config.training.available && config.training.operations).toEqual([]);
    // The kiosk's app offers no Teach; a client made anyway with the manager's view of the routes is refused.
    const { config: managerView } = await managerClient();
    if (!managerView.training.available) throw new Error('training is not available');
    const client = new TrainingClient(managerView.training, { fetch: fetchAs(KIOSK) });
    const upload = await client.createImagesFromFiles([
      { name: 'kiosk', contents: new Uint8Array(fixtureBytes(FIXTURES.coffee)) },
    ]);
    expect(upload.ok).toBe(false);
    if (!upload.ok) expect(upload.failure).toMatchObject({ kind: 'refused', status: 403 });
  });

  it('says unreachable, not refused, when nothing answers', async () => {
    const { config } = await managerClient();
    if (!config.training.available) throw new Error('training is not available');
    const closedPort = await freePort();
    const client = new TrainingClient(config.training, {
      fetch: (input, init) => fetch(`http://127.0.0.1:${closedPort}${input as string}`, init),
    });
    const answer = await client.getTags();
    expect(answer).toMatchObject({ ok: false, failure: { kind: 'unreachable' } });
  });
});

describe('/api/config when training goes to a rate-limited Custom Vision', () => {
  it("gives the app the training budget's pace, a little under the configured rate", async () => {
    const fake = await startFakeTraining();
    const server = await startTestServer({
      LOCAL_DETECTOR_WORKERS: '1',
      CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
      CUSTOM_VISION_TRAINING_KEY: fake.key,
      CUSTOM_VISION_PROJECT_ID: fake.projectId,
      CUSTOM_VISION_TRAINING_TPS: '5',
    });
    try {
      const config = parseConfig(await (await fetch(`${server.url}/api/config`)).json());
      expect(config.training.available).toBe(true);
      if (!config.training.available) return;
      expect(config.training.pace?.basis).toBe('CUSTOM_VISION_TRAINING_TPS');
      expect(config.training.pace?.callsPerSecond).toBeGreaterThan(4);
      expect(config.training.pace?.callsPerSecond).toBeLessThanOrEqual(5);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});
