import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  ImageCreateSummary,
  ImageFileEntry,
  PredictionEntry,
  TrainingOutcome,
} from '../../../src/api/training-client.ts';
import { OutboxStore } from '../../../src/teach/outbox/outbox-store.ts';
import { OutboxState } from '../../../src/teach/outbox/outbox-types.ts';
import {
  OutboxUploader,
  type DrainLocks,
  type UploadTarget,
} from '../../../src/teach/outbox/outbox-uploader.ts';
import type { TeachDraft } from '../../../src/teach/teach-types.ts';

let dbCount = 0;
const opened: OutboxStore[] = [];
const running: OutboxUploader[] = [];

async function openStore(name = `outbox-test-${++dbCount}`) {
  const store = await OutboxStore.open({ name });
  opened.push(store);
  return store;
}

afterEach(() => {
  for (const uploader of running.splice(0)) uploader.stop();
  for (const store of opened.splice(0)) store.close();
});

const PROJECT = '0f0f0f0f-1111-4222-8333-444455556666';

function draft(n: number, source: TeachDraft['source'] = { kind: 'frame' }): TeachDraft {
  return {
    clientId: `client-${n}`,
    projectId: PROJECT,
    image: new Blob([new Uint8Array([0xff, 0xd8, n, 0xff, 0xd9])], { type: 'image/jpeg' }),
    width: 1920,
    height: 1080,
    tagIds: [],
    regions: [{ tagId: 'tag-cup', left: 0.1, top: 0.2, width: 0.3, height: 0.4 }],
    source,
    createdAt: 1_000 + n,
  };
}

type Answer = TrainingOutcome<ImageCreateSummary>;
const created = (status = 'OK', httpStatus = 200): Answer => ({
  ok: true,
  status: httpStatus,
  value: {
    isBatchSuccessful: status === 'OK',
    images: [{ sourceUrl: undefined, status, imageId: status.startsWith('OK') ? 'image-id' : undefined }],
  },
});
const unreachable: Answer = { ok: false, failure: { kind: 'unreachable', message: 'offline' } };

/** A training client whose answers the test scripts, recording what it was sent. */
function scriptedClient(answers: (entry: ImageFileEntry | PredictionEntry) => Answer) {
  const files: ImageFileEntry[] = [];
  const predictions: PredictionEntry[] = [];
  const client: UploadTarget['client'] = {
    createImagesFromFiles: (images) => {
      files.push(...images);
      return Promise.resolve(answers(images[0]!));
    },
    createImagesFromPredictions: (images) => {
      predictions.push(...images);
      return Promise.resolve(answers(images[0]!));
    },
  };
  return { client, files, predictions };
}

function uploader(
  store: OutboxStore,
  client: UploadTarget['client'],
  extra: Partial<ConstructorParameters<typeof OutboxUploader>[0]> = {},
) {
  const target: UploadTarget = {
    client,
    projectId: PROJECT,
    pace: { callsPerSecond: 1_000, trainPerSecond: 1_000, basis: 'test' },
  };
  const result = new OutboxUploader({
    store,
    target: () => target,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    idleRecheckMs: 60_000,
    ...extra,
  });
  running.push(result);
  return result;
}

describe('OutboxStore', () => {
  it('keeps a draft once however often it is added, and never re-queues one already uploaded', async () => {
    const store = await openStore();
    await store.add(draft(1));
    await store.add(draft(1));
    expect(await store.counts()).toEqual({ queued: 1, uploading: 0, failed: 0, done: 0 });
    const picture = await store.picture('client-1');
    expect(new Uint8Array(picture!.data)).toEqual(new Uint8Array([0xff, 0xd8, 1, 0xff, 0xd9]));
    await store.markUploading('client-1');
    await store.markDone('client-1', 'image-1');
    await store.add(draft(1));
    expect(await store.counts()).toEqual({ queued: 0, uploading: 0, failed: 0, done: 1 });
    // Uploaded: the picture is gone from the device, the item stays for the list.
    expect(await store.picture('client-1')).toBeUndefined();
    expect((await store.get('client-1'))?.imageId).toBe('image-1');
  });

  it('keeps only the newest uploaded items', async () => {
    const store = await openStore();
    for (let n = 0; n < 25; n++) {
      await store.add(draft(n));
      await store.markDone(`client-${n}`, `image-${n}`, 10_000 + n);
    }
    const left = await store.all();
    expect(left).toHaveLength(20);
    expect(left[0]!.clientId).toBe('client-5');
  });
});

describe('OutboxUploader', () => {
  it('sends every item once, oldest first, and counts OKDuplicate as done', async () => {
    const store = await openStore();
    for (let n = 1; n <= 5; n++) await store.add(draft(n));
    const { client, files } = scriptedClient((entry) =>
      created('name' in entry && entry.name === 'client-3' ? 'OKDuplicate' : 'OK'),
    );
    const up = uploader(store, client);
    up.start();
    await up.whenIdle();
    expect(files.map((f) => f.name)).toEqual(['client-1', 'client-2', 'client-3', 'client-4', 'client-5']);
    expect(files[1]!.contents).toEqual(new Uint8Array([0xff, 0xd8, 2, 0xff, 0xd9]));
    expect(files[0]!.regions).toEqual(draft(1).regions);
    expect(await store.counts()).toEqual({ queued: 0, uploading: 0, failed: 0, done: 5 });
  });

  it('promotes a stored prediction by its id instead of sending the bytes again', async () => {
    const store = await openStore();
    await store.add(draft(1, { kind: 'stored-prediction', predictionId: 'prediction-7' }));
    const { client, files, predictions } = scriptedClient(() => created());
    const up = uploader(store, client);
    up.start();
    await up.whenIdle();
    expect(files).toHaveLength(0);
    expect(predictions).toEqual([{ id: 'prediction-7', tagIds: [], regions: draft(1).regions }]);
    expect((await store.get('client-1'))?.state).toBe(OutboxState.done);
  });

  it('keeps items while the server is unreachable and sends them when it answers again', async () => {
    const store = await openStore();
    for (let n = 1; n <= 3; n++) await store.add(draft(n));
    let online = false;
    const { client, files } = scriptedClient(() => (online ? created() : unreachable));
    const up = uploader(store, client, { backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    up.start();
    await expect.poll(() => up.pause?.reason).toBe('unreachable');
    expect(await store.counts()).toMatchObject({ queued: 3, done: 0, failed: 0 });
    const problem = (await store.all()).find((item) => item.attempts > 0)?.lastProblem;
    expect(problem?.message).toMatch(/Can't reach the Sightline server/);

    online = true;
    up.wake({ reachable: true });
    await up.whenIdle();
    expect(await store.counts()).toEqual({ queued: 0, uploading: 0, failed: 0, done: 3 });
    // Each picture reached the server exactly once with success.
    expect(new Set(files.slice(-3).map((f) => f.name))).toEqual(
      new Set(['client-1', 'client-2', 'client-3']),
    );
  });

  it('waits out a busy server at least as long as its Retry-After', async () => {
    const store = await openStore();
    await store.add(draft(1));
    const { client } = scriptedClient(() => ({
      ok: false,
      failure: {
        kind: 'busy',
        status: 429,
        code: 'TooManyRequests',
        message: 'slow down',
        retryAfterMs: 30_000,
      },
    }));
    const up = uploader(store, client);
    up.start();
    await expect.poll(() => up.pause?.reason).toBe('busy');
    expect(up.pause!.until - Date.now()).toBeGreaterThan(20_000);
    // A health check succeeding does not end a pause the server asked for.
    up.wake({ reachable: true });
    expect(up.pause?.reason).toBe('busy');
    expect((await store.get('client-1'))?.state).toBe(OutboxState.queued);
  });

  it("marks the image a 207 refused as failed with Custom Vision's status, and Retry sends it again", async () => {
    const store = await openStore();
    for (let n = 1; n <= 3; n++) await store.add(draft(n));
    let refuse = true;
    const { client, files } = scriptedClient((entry) =>
      refuse && 'name' in entry && entry.name === 'client-2' ? created('ErrorImageFormat', 207) : created(),
    );
    const up = uploader(store, client);
    up.start();
    await up.whenIdle();
    const failed = await store.get('client-2');
    expect(failed?.state).toBe(OutboxState.failed);
    expect(failed?.lastProblem).toMatchObject({ httpStatus: 207, code: 'ErrorImageFormat' });
    expect(failed?.lastProblem?.message).toMatch(/format/);
    expect(await store.counts()).toEqual({ queued: 0, uploading: 0, failed: 1, done: 2 });

    refuse = false;
    await store.retry('client-2');
    up.wake();
    await up.whenIdle();
    expect((await store.get('client-2'))?.state).toBe(OutboxState.done);
    expect(files.filter((f) => f.name === 'client-2')).toHaveLength(2);
  });

  it('marks an item the server forbids as failed, saying what role is needed', async () => {
    const store = await openStore();
    await store.add(draft(1));
    const { client } = scriptedClient(() => ({
      ok: false,
      failure: { kind: 'refused', status: 403, code: 'Forbidden', message: 'needs contribute' },
    }));
    const up = uploader(store, client);
    up.start();
    await up.whenIdle();
    const item = await store.get('client-1');
    expect(item?.state).toBe(OutboxState.failed);
    expect(item?.lastProblem?.message).toMatch(/contribute token/);
  });

  it('sends again an item a closed app left uploading, and Discard drops an item for good', async () => {
    const store = await openStore();
    await store.add(draft(1));
    await store.add(draft(2));
    await store.markUploading('client-1'); // the app closed with this call in flight
    await store.discard('client-2');
    const { client, files } = scriptedClient(() => created('OKDuplicate'));
    const up = uploader(store, client);
    up.start();
    await up.whenIdle();
    expect(files.map((f) => f.name)).toEqual(['client-1']);
    expect(await store.counts()).toEqual({ queued: 0, uploading: 0, failed: 0, done: 1 });
  });

  it('lets only the tab holding the drain lock send, and another take over when it stops', async () => {
    const name = `outbox-test-${++dbCount}`;
    const first = await openStore(name);
    const second = await openStore(name);
    const locks = exclusiveLocks();
    const a = scriptedClient(() => created());
    const b = scriptedClient(() => created());
    const upA = uploader(first, a.client, { locks });
    const upB = uploader(second, b.client, { locks });
    upA.start();
    upB.start();
    await first.add(draft(1));
    upA.wake();
    await upA.whenIdle();
    expect(upA.draining).toBe(true);
    expect(upB.draining).toBe(false);
    upA.stop();
    await second.add(draft(2));
    await expect.poll(() => upB.draining).toBe(true);
    await upB.whenIdle();
    expect(a.files.map((f) => f.name)).toEqual(['client-1']);
    expect(b.files.map((f) => f.name)).toEqual(['client-2']);
  });
});

/** Web Locks' exclusive mode as far as the uploader uses it: one holder, the others wait in turn. */
function exclusiveLocks(): DrainLocks {
  let tail: Promise<unknown> = Promise.resolve();
  const request = (_name: string, _options: LockOptions, callback: (lock: Lock | null) => unknown) => {
    const run = tail.then(() => callback({ name: 'lock', mode: 'exclusive' }));
    tail = run.catch(() => undefined);
    return run;
  };
  return { request };
}
