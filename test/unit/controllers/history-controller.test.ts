import 'fake-indexeddb/auto';
import type { ReactiveController } from 'lit';
import { describe, expect, it } from 'vitest';
import { HistoryController } from '../../../src/controllers/history-controller.ts';
import { historyStore } from '../../../src/history/history-database.ts';
import { announce, HISTORY_CHANNEL } from '../../../src/history/history-watch.ts';

/** A Lit host reduced to what a controller touches. */
function fakeHost() {
  const controllers: ReactiveController[] = [];
  return {
    isConnected: false,
    addController: (controller: ReactiveController) => void controllers.push(controller),
    removeController: () => undefined,
    requestUpdate: () => undefined,
    updateComplete: Promise.resolve(true),
    connect() {
      this.isConnected = true;
      for (const controller of controllers) controller.hostConnected?.();
    },
    disconnect() {
      this.isConnected = false;
      for (const controller of controllers) controller.hostDisconnected?.();
    },
  };
}

/** Resolves once `check` holds, yielding to the event loop between looks (no fixed sleeps). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 0));
  expect(check()).toBe(true);
}

async function addRecord(time: number): Promise<number> {
  const store = await historyStore();
  const outcome = await store.add({
    time,
    reason: 'snapshot',
    model: { projectId: 'p', publishedName: 'n', source: 'local', type: 'detect' },
    predictions: [{ probability: 0.9, tagId: 't', tagName: 'cup' }],
    latencyMs: 10,
    thumbnail: { data: new Uint8Array(10).buffer, width: 4, height: 3, type: 'image/jpeg' },
  });
  return outcome.id;
}

describe('HistoryController', () => {
  it('reads when the view connects, again when the history changes, and not after it leaves', async () => {
    const host = fakeHost();
    let reads = 0;
    const persisted: boolean[] = [];
    new HistoryController(host, {
      refresh: () => Promise.resolve(void reads++),
      onPersisted: (value) => persisted.push(value),
    });
    host.connect();
    expect(reads).toBe(1);
    await until(() => persisted.length === 1);
    announce({ type: 'added', id: 1 });
    await until(() => reads === 2);
    host.disconnect();
    // A message posted after leaving is heard by this listener, and must not reach the view.
    // Two round trips through a listener of its own give the stopped watcher's delivery time to happen.
    const listener = new BroadcastChannel(HISTORY_CHANNEL);
    for (let round = 0; round < 2; round++) {
      const heard = new Promise((resolve) => listener.addEventListener('message', resolve, { once: true }));
      announce({ type: 'cleared' });
      await heard;
    }
    listener.close();
    expect(reads).toBe(2);
  });

  it('reads and deletes through the store, and tells the other views about a deletion', async () => {
    const host = fakeHost();
    const controller = new HistoryController(host, {
      refresh: () => Promise.resolve(),
      onPersisted: () => undefined,
    });
    const first = await addRecord(1_000);
    const second = await addRecord(2_000);
    expect(await controller.keys({})).toEqual(expect.arrayContaining([first, second]));
    expect((await controller.record(first))?.time).toBe(1_000);
    expect(await controller.tags()).toContain('cup');

    const listener = new BroadcastChannel(HISTORY_CHANNEL);
    const heard = new Promise<unknown>((resolve) =>
      listener.addEventListener('message', (event) => resolve(event.data), { once: true }),
    );
    expect(await controller.delete([first])).toBe(1);
    expect(await heard).toEqual({ type: 'deleted' });
    listener.close();
    expect(await controller.record(first)).toBeUndefined();
    await controller.delete('all');
    expect((await controller.stats()).count).toBe(0);
  });
});
