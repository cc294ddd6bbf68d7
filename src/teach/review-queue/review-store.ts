// The review queue's own IndexedDB database: frames collected automatically, kept on this device only
// until a person reviews them (accepted ones go to the outbox; nothing here is ever uploaded by itself).
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Prediction } from '../../api/prediction-types.ts';
import type { StoredPicture } from '../outbox/outbox-types.ts';
import type { TeachSource } from '../teach-types.ts';
import type { ReviewReason } from './review-policy.ts';

export const REVIEW_DB_NAME = 'sightline-review';

/** The queue never holds more than this: the oldest go first (the hourly cap keeps it well under). */
export const REVIEW_KEPT = 200;

export interface ReviewItem {
  readonly id: string;
  readonly createdAt: number;
  readonly reason: ReviewReason;
  /** The model's answer for the frame: the editor's proposals. */
  readonly predictions: readonly Prediction[];
  readonly picture: StoredPicture;
  readonly width: number;
  readonly height: number;
  readonly source: TeachSource;
}

interface ReviewSchema extends DBSchema {
  items: { key: string; value: ReviewItem; indexes: { byCreated: number } };
}

export class ReviewStore {
  readonly #db: IDBPDatabase<ReviewSchema>;

  private constructor(db: IDBPDatabase<ReviewSchema>) {
    this.#db = db;
  }

  static async open(name = REVIEW_DB_NAME): Promise<ReviewStore> {
    const db = await openDB<ReviewSchema>(name, 1, {
      upgrade(database) {
        database.createObjectStore('items', { keyPath: 'id' }).createIndex('byCreated', 'createdAt');
      },
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
      },
    });
    return new ReviewStore(db);
  }

  close(): void {
    this.#db.close();
  }

  async add(item: ReviewItem): Promise<void> {
    const tx = this.#db.transaction('items', 'readwrite');
    await tx.store.put(item);
    const keys = await tx.store.index('byCreated').getAllKeys();
    await Promise.all(
      keys.slice(0, Math.max(0, keys.length - REVIEW_KEPT)).map((key) => tx.store.delete(key)),
    );
    await tx.done;
  }

  /** Oldest first. */
  all(): Promise<ReviewItem[]> {
    return this.#db.getAllFromIndex('items', 'byCreated');
  }

  count(): Promise<number> {
    return this.#db.count('items');
  }

  remove(id: string): Promise<void> {
    return this.#db.delete('items', id);
  }
}
