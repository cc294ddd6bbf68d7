// The history benchmark's figures: gathered into the JSON object it prints last, and shown as tables.
import type { ExportRun, QueryTimes, storageFigures, ViewOpen } from './history-measure.ts';
import { print, printTable } from './report.ts';
import { round, summarize, type Summary } from './stats.ts';

export const TARGET_VIEW_MS = 100;

export interface SizeFigures {
  readonly records: number;
  readonly addTotalMs: Summary;
  readonly addSyncMs: Summary;
  readonly addMainThreadMs: number;
  readonly viewFirstOpen: ViewOpen;
  readonly viewRowsMs: Summary;
  readonly viewThumbnailsMs: Summary;
}

type Storage = Awaited<ReturnType<typeof storageFigures>>;

export function buildResult(
  sizes: readonly SizeFigures[],
  queries: QueryTimes,
  exports: { zip: ExportRun; csv: ExportRun },
  empty: Storage,
  full: Storage,
  seconds: number,
  loadAverage: number,
) {
  const records = full.count;
  const megabytes = (bytes: number) => bytes / 1e6;
  const exportFigures = (run: { ms: number; bytes: number }) => ({
    ms: round(run.ms, 0),
    bytes: run.bytes,
    recordsPerSecond: round(records / (run.ms / 1000), 0),
    mbPerSecond: round(megabytes(run.bytes) / (run.ms / 1000), 1),
  });
  return {
    records,
    writes: sizes.map((s) => ({
      records: s.records,
      totalMs: s.addTotalMs,
      syncMs: s.addSyncMs,
      mainThreadMs: s.addMainThreadMs,
    })),
    view: sizes.map((s) => ({
      records: s.records,
      firstOpenRowsMs: round(s.viewFirstOpen.rowsMs, 1),
      rowsMs: s.viewRowsMs,
      thumbnailsMs: s.viewThumbnailsMs,
      rowsInDom: s.viewFirstOpen.rows,
    })),
    viewTargetMs: TARGET_VIEW_MS,
    viewUnderTarget: (sizes.at(-1)?.viewRowsMs.median ?? Infinity) < TARGET_VIEW_MS,
    filterQueryMs: {
      rareTag: { ...summarize(queries.rareTag, 2), matches: queries.matches.rareTag },
      commonTag: { ...summarize(queries.commonTag, 2), matches: queries.matches.commonTag },
      timeRange: { ...summarize(queries.timeRange, 2), matches: queries.matches.timeRange },
    },
    export: { zip: exportFigures(exports.zip), csv: exportFigures(exports.csv) },
    storage: {
      storeBytesPerRecord: round(full.bytes / records, 0),
      estimateBytesPerRecord: round((full.usage - empty.usage) / records, 0),
      usageBytes: full.usage,
    },
    seconds: round(seconds, 1),
    loadAverage,
  };
}

export type Result = ReturnType<typeof buildResult>;

export function report(result: Result, sizes: readonly SizeFigures[]): void {
  printTable(
    'Writing one record (HistoryStore.add with retention; ms)',
    ['records', 'total med', 'total p95', 'sync med', 'main thread/add'],
    sizes.map((s) => [
      s.records,
      s.addTotalMs.median,
      s.addTotalMs.p95,
      s.addSyncMs.median,
      s.addMainThreadMs,
    ]),
  );
  printTable(
    `Opening the history view: first screen shown (ms; target < ${TARGET_VIEW_MS} at 10,000)`,
    ['records', 'first open', 'rows med', 'rows p95', 'thumbnails med', 'rows in DOM'],
    sizes.map((s) => [
      s.records,
      round(s.viewFirstOpen.rowsMs, 1),
      s.viewRowsMs.median,
      s.viewRowsMs.p95,
      s.viewThumbnailsMs.median,
      s.viewFirstOpen.rows,
    ]),
  );
  printTable(
    `Filter queries at ${result.records} records (store.keys; ms)`,
    ['filter', 'median', 'p95', 'matches'],
    Object.entries(result.filterQueryMs).map(([name, q]) => [name, q.median, q.p95, q.matches]),
  );
  printTable(
    `Export of all ${result.records} records (Blob built, not downloaded)`,
    ['format', 'ms', 'MB', 'records/s', 'MB/s'],
    Object.entries(result.export).map(([name, x]) => [
      name,
      x.ms,
      round(x.bytes / 1e6, 1),
      x.recordsPerSecond,
      x.mbPerSecond,
    ]),
  );
  printTable(
    'Storage per record (bytes)',
    ['measure', 'bytes'],
    [
      ['store count (pictures + 512)', result.storage.storeBytesPerRecord],
      ['navigator.storage.estimate()', result.storage.estimateBytesPerRecord],
    ],
  );
  print();
  print(JSON.stringify(result));
}
