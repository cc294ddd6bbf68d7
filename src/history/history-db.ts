// The IndexedDB schema and its migrations. One typed schema; `upgrade` replays each version's step from
// the version the user has, so any older database becomes the current one in a single open.
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { HistoryRecord, StoredImage } from './history-types.ts';

export interface HistoryImages {
  readonly id: number;
  readonly thumbnail: StoredImage;
  readonly full?: StoredImage;
}

export interface HistoryTotals {
  readonly key: 'totals';
  readonly bytes: number;
}

export interface HistorySchema extends DBSchema {
  records: { key: number; value: HistoryRecord; indexes: { 'by-time': number; 'by-tag': string } };
  images: { key: number; value: HistoryImages };
  meta: { key: string; value: HistoryTotals };
}

export const DB_NAME = 'sightline-history';
export const DB_VERSION = 2;

type UpgradeTransaction = IDBPTransaction<HistorySchema, StoreNames<HistorySchema>[], 'versionchange'>;

/** Version 1 kept each thumbnail inside its record and indexed only by time. */
function createVersion1(db: IDBPDatabase<HistorySchema>): void {
  const records = db.createObjectStore('records', { keyPath: 'id', autoIncrement: true });
  records.createIndex('by-time', 'time');
}

/**
 * Version 2 moves pictures into their own store (listing records no longer reads every picture), indexes
 * tags for the filter, and keeps a running byte total for retention.
 */
async function upgradeToVersion2(db: IDBPDatabase<HistorySchema>, tx: UpgradeTransaction): Promise<void> {
  const records = tx.objectStore('records');
  records.createIndex('by-tag', 'tags', { multiEntry: true });
  const images = db.createObjectStore('images', { keyPath: 'id' });
  const meta = db.createObjectStore('meta', { keyPath: 'key' });
  let total = 0;
  for (let cursor = await records.openCursor(); cursor; cursor = await cursor.continue()) {
    const old = cursor.value as unknown as HistoryRecord & { thumbnail: StoredImage; tags?: string[] };
    const thumbnail = old.thumbnail;
    const tags = [...new Set(old.predictions.map((p) => p.tagName))];
    const bytes = thumbnail.data.byteLength + 512;
    await images.put({ id: old.id, thumbnail });
    await cursor.update({
      ...old,
      tags,
      bytes,
      thumbnail: {
        width: thumbnail.width,
        height: thumbnail.height,
        bytes: thumbnail.data.byteLength,
        type: thumbnail.type,
      },
    });
    total += bytes;
  }
  await meta.put({ key: 'totals', bytes: total });
}

export interface OpenOptions {
  readonly name?: string;
  /** Up to which version to migrate (tests open older versions on purpose). */
  readonly version?: number;
  /** Another tab wants a newer version: this connection should close (it is then unusable). */
  readonly onBlocking?: () => void;
  /** This open waits because another tab holds an older version open. */
  readonly onBlocked?: () => void;
  /** The browser closed the connection (storage cleared, or a crash). */
  readonly onTerminated?: () => void;
}

export function openHistoryDb(options: OpenOptions = {}): Promise<IDBPDatabase<HistorySchema>> {
  const version = options.version ?? DB_VERSION;
  return openDB<HistorySchema>(options.name ?? DB_NAME, version, {
    upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) createVersion1(db);
      // A migration that fails aborts the whole upgrade: the database stays at its old version, intact.
      if (oldVersion < 2 && version >= 2) upgradeToVersion2(db, tx).catch(() => tx.abort());
    },
    blocked: () => options.onBlocked?.(),
    blocking: () => options.onBlocking?.(),
    terminated: () => options.onTerminated?.(),
  });
}
