// The outbox's own IndexedDB database: every teach is written here before anything is sent, so that a
// dead network, a closed tab or a crash loses nothing. One object store keyed by the draft's client id
// (a second put of the same draft replaces it instead of queueing it twice), indexed by state and time.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { TeachDraft } from '../teach-types.ts';
import {
  OutboxState,
  type OutboxCounts,
  type OutboxFailure,
  type OutboxItem,
  type StoredPicture,
} from './outbox-types.ts';

export const OUTBOX_DB_NAME = 'sightline-outbox';
const VERSION = 1;

/** Uploaded items kept for the list (with their thumbnails) before the oldest are removed. */
export const DONE_KEPT = 20;

interface OutboxSchema extends DBSchema {
  items: {
    key: string;
    value: OutboxItem;
    indexes: { byCreated: number; byState: string };
  };
  /** The pictures still to upload, by client id: apart from the items, read only to send one. */
  images: { key: string; value: StoredPicture };
}

export class OutboxStore {
  readonly #db: IDBPDatabase<OutboxSchema>;

  private constructor(db: IDBPDatabase<OutboxSchema>) {
    this.#db = db;
  }

  static async open(
    options: { name?: string; onBlocking?: () => void; onTerminated?: () => void } = {},
  ): Promise<OutboxStore> {
    // The blocking callback may come before open() returns the store: it closes the database itself.
    const db = await openDB<OutboxSchema>(options.name ?? OUTBOX_DB_NAME, VERSION, {
      upgrade(database) {
        const items = database.createObjectStore('items', { keyPath: 'clientId' });
        items.createIndex('byCreated', 'createdAt');
        items.createIndex('byState', 'state');
        database.createObjectStore('images');
      },
      // Another tab with a newer schema must not wait on this one: step aside, the next call reopens.
      blocking(_current, _blocked, event) {
        // Typed by shape: the outbox benchmark compiles this file without the DOM's types.
        (event.target as unknown as { close(): void }).close();
        options.onBlocking?.();
      },
      terminated() {
        options.onTerminated?.();
      },
    });
    return new OutboxStore(db);
  }

  close(): void {
    this.#db.close();
  }

  /** Keeps a confirmed draft. The same client id again is the same teach: it replaces, never doubles. */
  async add(draft: TeachDraft, thumbnail?: StoredPicture, now = Date.now()): Promise<OutboxItem> {
    const picture: StoredPicture = {
      data: await draft.image.arrayBuffer(),
      type: draft.image.type || 'image/jpeg',
    };
    const item: OutboxItem = {
      clientId: draft.clientId,
      projectId: draft.projectId,
      thumbnail,
      width: draft.width,
      height: draft.height,
      tagIds: [...draft.tagIds],
      regions: draft.regions.map((r) => ({ ...r })),
      source: draft.source,
      createdAt: draft.createdAt,
      state: OutboxState.queued,
      attempts: 0,
      lastProblem: undefined,
      imageId: undefined,
      updatedAt: now,
    };
    const tx = this.#db.transaction(['items', 'images'], 'readwrite');
    const items = tx.objectStore('items');
    const existing = await items.get(item.clientId);
    // A draft already uploaded stays uploaded: adding it again must not send it again.
    if (existing?.state === OutboxState.done) {
      await tx.done;
      return existing;
    }
    await items.put(item);
    await tx.objectStore('images').put(picture, item.clientId);
    await tx.done;
    return item;
  }

  /** The picture to upload; undefined once uploaded or discarded. */
  picture(clientId: string): Promise<StoredPicture | undefined> {
    return this.#db.get('images', clientId);
  }

  get(clientId: string): Promise<OutboxItem | undefined> {
    return this.#db.get('items', clientId);
  }

  /** Every item, oldest first. */
  all(): Promise<OutboxItem[]> {
    return this.#db.getAllFromIndex('items', 'byCreated');
  }

  async counts(): Promise<OutboxCounts> {
    const tx = this.#db.transaction('items');
    const count = (state: OutboxState) => tx.store.index('byState').count(state);
    const [queued, uploading, failed, done] = await Promise.all([
      count(OutboxState.queued),
      count(OutboxState.uploading),
      count(OutboxState.failed),
      count(OutboxState.done),
    ]);
    await tx.done;
    return { queued, uploading, failed, done };
  }

  /**
   * The oldest items to send: queued ones, and ones left "uploading" by an app closed mid-call (sending
   * those again is safe: the same bytes come back OKDuplicate). `skip` are the ones this page is sending.
   */
  async sendable(limit: number, skip: ReadonlySet<string>): Promise<OutboxItem[]> {
    const found: OutboxItem[] = [];
    let cursor = await this.#db.transaction('items').store.index('byCreated').openCursor();
    while (cursor && found.length < limit) {
      const item = cursor.value;
      if (
        (item.state === OutboxState.queued || item.state === OutboxState.uploading) &&
        !skip.has(item.clientId)
      ) {
        found.push(item);
      }
      cursor = await cursor.continue();
    }
    return found;
  }

  /** Changes an item in one transaction; nothing happens when it is gone (discarded meanwhile). */
  async #update(
    clientId: string,
    change: (item: OutboxItem) => OutboxItem | undefined,
  ): Promise<OutboxItem | undefined> {
    const tx = this.#db.transaction('items', 'readwrite');
    const item = await tx.store.get(clientId);
    const next = item ? change(item) : undefined;
    if (next) await tx.store.put(next);
    await tx.done;
    return next;
  }

  markUploading(clientId: string, now = Date.now()): Promise<OutboxItem | undefined> {
    return this.#update(clientId, (item) =>
      item.state === OutboxState.done || item.state === OutboxState.failed
        ? undefined
        : { ...item, state: OutboxState.uploading, attempts: item.attempts + 1, updatedAt: now },
    );
  }

  async markDone(clientId: string, imageId: string | undefined, now = Date.now()): Promise<void> {
    await this.#update(clientId, (item) => ({
      ...item,
      state: OutboxState.done,
      imageId,
      lastProblem: undefined,
      updatedAt: now,
    }));
    // Custom Vision has it now: the device keeps only the thumbnail for the list.
    await this.#db.delete('images', clientId);
    await this.#pruneDone();
  }

  markFailed(clientId: string, problem: OutboxFailure, now = Date.now()): Promise<OutboxItem | undefined> {
    return this.#update(clientId, (item) =>
      item.state === OutboxState.done
        ? undefined
        : { ...item, state: OutboxState.failed, lastProblem: problem, updatedAt: now },
    );
  }

  /** Back in the queue after a try that may work later (offline, busy); the problem is kept to show. */
  requeue(clientId: string, problem: OutboxFailure | undefined, now = Date.now()) {
    return this.#update(clientId, (item) =>
      item.state === OutboxState.uploading
        ? { ...item, state: OutboxState.queued, lastProblem: problem, updatedAt: now }
        : undefined,
    );
  }

  /** The person's Retry on a failed item. */
  retry(clientId: string, now = Date.now()): Promise<OutboxItem | undefined> {
    return this.#update(clientId, (item) =>
      item.state === OutboxState.failed ? { ...item, state: OutboxState.queued, updatedAt: now } : undefined,
    );
  }

  /** The person's Discard: the teach is dropped for good. */
  async discard(clientId: string): Promise<void> {
    const tx = this.#db.transaction(['items', 'images'], 'readwrite');
    await Promise.all([tx.objectStore('items').delete(clientId), tx.objectStore('images').delete(clientId)]);
    await tx.done;
  }

  /** Uploaded items beyond the newest DONE_KEPT go: the list shows recent ones, the disk keeps no more. */
  async #pruneDone(): Promise<void> {
    const tx = this.#db.transaction('items', 'readwrite');
    const doneKeys = await tx.store.index('byState').getAllKeys(OutboxState.done);
    if (doneKeys.length > DONE_KEPT) {
      const done = await Promise.all(doneKeys.map((key) => tx.store.get(key)));
      const oldest = done
        .filter((item): item is OutboxItem => item !== undefined)
        .sort((a, b) => a.updatedAt - b.updatedAt)
        .slice(0, doneKeys.length - DONE_KEPT);
      await Promise.all(oldest.map((item) => tx.store.delete(item.clientId)));
    }
    await tx.done;
  }
}
