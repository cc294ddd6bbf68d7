import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/history/history-store.ts';
import { HISTORY_CHANNEL } from '../../../src/history/history-watch.ts';
import { HistoryWriter, type HistoryJob } from '../../../src/history/history-writer.ts';

let n = 0;
const job = (reason: HistoryJob['reason'], time: number): HistoryJob => ({
  reason,
  time,
  model: { projectId: 'p', publishedName: 'n', source: 'local', type: 'detect' },
  predictions: [
    {
      probability: 0.8,
      tagId: 't',
      tagName: 'cup',
      boundingBox: { left: 0, top: 0, width: 0.5, height: 0.5 },
    },
  ],
  latencyMs: 100,
  frameJpeg: new Uint8Array(2_000).buffer,
});

/** A thumbnailer that holds every answer until the test opens it, to keep the writer busy. */
function gatedThumbnailer() {
  const held: (() => void)[] = [];
  let open = false;
  const answer = (jpeg: ArrayBuffer) => ({ bytes: jpeg.slice(0, 500), size: { width: 320, height: 180 } });
  return {
    open() {
      open = true;
      for (const release of held.splice(0)) release();
    },
    thumbnail: (jpeg: ArrayBuffer) =>
      open
        ? Promise.resolve(answer(jpeg))
        : new Promise<ReturnType<typeof answer>>((resolve) => held.push(() => resolve(answer(jpeg)))),
  };
}

describe('HistoryWriter', () => {
  it('writes records in the background with a thumbnail from the worker', async () => {
    const store = await HistoryStore.open({ name: `writer-${++n}` });
    const problems: string[] = [];
    const writer = new HistoryWriter({
      store: () => Promise.resolve(store),
      thumbnail: (jpeg) => Promise.resolve({ bytes: jpeg.slice(0, 300), size: { width: 320, height: 180 } }),
      onProblem: (m) => problems.push(m),
    });
    void writer.enqueue(job('tags-changed', 1));
    void writer.enqueue(job('interval', 2));
    await writer.idle();
    expect((await store.stats()).count).toBe(2);
    const [newest] = await store.keys();
    expect(await store.get(newest!)).toMatchObject({
      reason: 'interval',
      thumbnail: { width: 320, bytes: 300 },
    });
    expect(problems).toEqual([]);
    store.close();
  });

  it("announces each record written on the history's channel, for the views that watch it", async () => {
    const store = await HistoryStore.open({ name: `writer-${++n}` });
    const listener = new BroadcastChannel(HISTORY_CHANNEL);
    const heard = new Promise<unknown>((resolve) =>
      listener.addEventListener('message', (event) => resolve(event.data), { once: true }),
    );
    const writer = new HistoryWriter({
      store: () => Promise.resolve(store),
      thumbnail: (jpeg) => Promise.resolve({ bytes: jpeg.slice(0, 300), size: { width: 320, height: 180 } }),
      onProblem: () => undefined,
    });
    void writer.enqueue(job('snapshot', 1));
    const [id] = await Promise.all([heard.then((data) => (data as { id?: number }).id), writer.idle()]);
    expect(id).toBe((await store.keys())[0]);
    listener.close();
    store.close();
  });

  it('when writes fall behind, skips routine records before snapshots, and says so', async () => {
    const store = await HistoryStore.open({ name: `writer-${++n}` });
    const problems: string[] = [];
    const gated = gatedThumbnailer();
    const writer = new HistoryWriter({
      store: () => Promise.resolve(store),
      thumbnail: gated.thumbnail,
      onProblem: (m) => problems.push(m),
    });
    const written = [
      writer.enqueue(job('tags-changed', 1)), // starts at once, held at the thumbnail
      writer.enqueue(job('snapshot', 2)),
      writer.enqueue(job('interval', 3)),
      writer.enqueue(job('interval', 4)),
      writer.enqueue(job('snapshot', 5)), // the queue is full: the oldest routine record (3) goes
    ];
    expect(await written[2]).toBe(false); // told at once
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/falling behind: skipped the record/);
    gated.open();
    await writer.idle();
    const times = (await store.getMany(await store.keys())).map((r) => r!.time);
    expect(times).toEqual([5, 4, 2, 1]);
    expect(await Promise.all(written)).toEqual([true, true, false, true, true]);
    store.close();
  });

  it('reports a failed write instead of losing it silently, and keeps going', async () => {
    const store = await HistoryStore.open({ name: `writer-${++n}` });
    const problems: string[] = [];
    let fail = true;
    const writer = new HistoryWriter({
      store: () => (fail ? Promise.reject(new Error('storage unavailable')) : Promise.resolve(store)),
      thumbnail: (jpeg) => Promise.resolve({ bytes: jpeg.slice(0, 10), size: { width: 1, height: 1 } }),
      onProblem: (m) => problems.push(m),
    });
    expect(await writer.enqueue(job('tags-changed', 1))).toBe(false);
    expect(problems).toEqual(['Could not save to history: storage unavailable']);
    fail = false;
    expect(await writer.enqueue(job('tags-changed', 2))).toBe(true);
    expect((await store.stats()).count).toBe(1);
    store.close();
  });
});
