// Binds the history store to the history view, as DetectionController binds the loop to the live view:
// the view asks this controller for ids, records, counts, deletions and exports, and is told when the
// history changed (a record written by the live view, or another tab). It watches only while the view is
// connected. Every call goes through historyStore() rather than holding one connection: when another tab
// upgrades the database this page's connection closes, and the next call opens a fresh one.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { downloadBlob } from '../history/download.ts';
import { exportFileName, type ExportKind } from '../history/export-format.ts';
import { historyStore, requestPersistence, storageEstimate } from '../history/history-database.ts';
import { exportCsv, exportZip, type ExportProgress } from '../history/history-export.ts';
import type { HistoryListSource } from '../history/history-list-loader.ts';
import type { HistoryFilter, HistoryRecord } from '../history/history-types.ts';
import { announce, watchHistory } from '../history/history-watch.ts';

export interface HistoryControllerOptions {
  /** Reads what the view shows; called once when the view connects, and again whenever the history changes. */
  refresh(): Promise<void>;
  /** Whether the browser agreed to keep the history when storage runs low (asked after the first read). */
  onPersisted(persisted: boolean): void;
}

export class HistoryController implements ReactiveController {
  /** Records and pictures for the list and the detail view. */
  readonly source: HistoryListSource = {
    getMany: async (ids) => (await historyStore()).getMany(ids),
    image: async (id, which) => (await historyStore()).image(id, which),
  };

  private stopWatching: (() => void) | undefined;

  constructor(
    private readonly host: ReactiveControllerHost & { readonly isConnected: boolean },
    private readonly options: HistoryControllerOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const firstRead = this.options.refresh();
    // Changes are listened for from the start (a snapshot saved just as the history opens must show); the
    // poll of the counts and the request for persistence wait for the first screen, which should not
    // share the disk.
    this.stopWatching = watchHistory({
      stats: () => this.stats(),
      onChange: () => void this.options.refresh(),
      pollAfter: firstRead,
    });
    void firstRead.then(() => {
      if (!this.host.isConnected) return;
      requestPersistence().then(
        (persisted) => this.options.onPersisted(persisted),
        () => this.options.onPersisted(false),
      );
    });
  }

  hostDisconnected(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
  }

  async keys(filter: HistoryFilter): Promise<number[]> {
    return (await historyStore()).keys(filter);
  }

  async tags(): Promise<string[]> {
    return (await historyStore()).tags();
  }

  async stats(): Promise<{ count: number; bytes: number }> {
    return (await historyStore()).stats();
  }

  async record(id: number): Promise<HistoryRecord | undefined> {
    return (await historyStore()).get(id);
  }

  storageEstimate(): Promise<{ usage: number; quota: number } | undefined> {
    return storageEstimate();
  }

  /** Deletes these records, or all of them, and tells the other views; returns how many went. */
  async delete(ids: readonly number[] | 'all'): Promise<number> {
    const store = await historyStore();
    let count: number;
    if (ids === 'all') {
      count = (await store.stats()).count;
      await store.clear();
    } else {
      count = await store.delete(ids);
    }
    announce({ type: ids === 'all' ? 'cleared' : 'deleted' });
    return count;
  }

  /** Exports the records matching `filter` and offers the file as a download; returns its size. */
  async export(
    kind: ExportKind,
    filter: HistoryFilter,
    onProgress: (progress: ExportProgress) => void,
    signal: AbortSignal,
  ): Promise<number> {
    const store = await historyStore();
    const run = kind === 'zip' ? exportZip : exportCsv;
    const blob = await run(store, filter, onProgress, { signal });
    downloadBlob(blob, exportFileName(kind));
    return blob.size;
  }
}
