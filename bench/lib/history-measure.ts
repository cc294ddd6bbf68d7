// The history benchmark's timed steps inside the page: opening the history view, filter queries, exports
// and storage figures, plus the renderer main thread's busy time from the DevTools protocol. Same rules
// for the evaluate() callbacks as in history-page.ts: no named functions or const arrows, casts for DOM.
import type { Page } from '@playwright/test';
import { BENCH_PREFIX } from './history-bundle.ts';

interface Store {
  keys(filter: { tags?: string[]; from?: number; to?: number }): Promise<number[]>;
  stats(): Promise<{ count: number; bytes: number }>;
}
interface Bench {
  store: Store;
  exportZip(store: Store, filter: object): Promise<{ size: number }>;
  exportCsv(store: Store, filter: object): Promise<{ size: number }>;
}
interface Node {
  shadowRoot: { querySelector(s: string): Node | null; querySelectorAll(s: string): ArrayLike<Node> } | null;
  textContent: string | null;
  getAttribute(name: string): string | null;
  remove(): void;
}
interface Doc {
  querySelector(s: string): Node | null;
  createElement(tag: string): Node;
  body: { append(node: Node): void };
}

export interface ViewOpen {
  /** From adding <sightline-history> to the first animation frame whose DOM has the first screen of rows. */
  readonly rowsMs: number;
  /** ...and to the frame in which every thumbnail of that screen is drawn. */
  readonly thumbnailsMs: number;
  readonly rows: number;
}

/** Mounts a fresh <sightline-history> (the app's element, needing no properties) and times its first screen. */
export function openView(page: Page): Promise<ViewOpen> {
  return page.evaluate(async (prefix) => {
    await import(`${prefix}view.js`);
    const scope = globalThis as unknown as {
      document: Doc;
      requestAnimationFrame(callback: () => void): void;
    };
    scope.document.querySelector('sightline-history')?.remove();
    await new Promise<void>((resolve) => scope.requestAnimationFrame(resolve));
    const started = performance.now();
    const view = scope.document.createElement('sightline-history');
    scope.document.body.append(view);
    let rowsMs = -1;
    for (;;) {
      await new Promise<void>((resolve) => scope.requestAnimationFrame(resolve));
      const list = view.shadowRoot?.querySelector('sightline-history-list');
      const rows = Array.from(list?.shadowRoot?.querySelectorAll('[data-testid="history-row"]') ?? []);
      const loaded = rows.length > 0 && rows.every((row) => !(row.textContent ?? '').includes('Loading'));
      if (rowsMs < 0 && loaded) rowsMs = performance.now() - started;
      const canvases = Array.from(list?.shadowRoot?.querySelectorAll('canvas') ?? []);
      if (loaded && canvases.every((canvas) => canvas.getAttribute('data-drawn'))) {
        return { rowsMs, thumbnailsMs: performance.now() - started, rows: rows.length };
      }
      if (performance.now() - started > 30_000)
        throw new Error(`the history view showed ${rows.length} rows in 30 s`);
    }
  }, BENCH_PREFIX);
}

export interface QueryTimes {
  readonly rareTag: number[];
  readonly commonTag: number[];
  readonly timeRange: number[];
  readonly matches: { rareTag: number; commonTag: number; timeRange: number };
}

/** Times the store's filter queries (what the view runs on each filter change), `runs` times each. */
export function queryTimes(
  page: Page,
  runs: number,
  tags: { rare: string; common: string },
  range: { from: number; to: number },
): Promise<QueryTimes> {
  return page.evaluate(
    async ({ runs, tags, range }) => {
      const store = (globalThis as unknown as { bench: Bench }).bench.store;
      const times = { rareTag: [] as number[], commonTag: [] as number[], timeRange: [] as number[] };
      const matches = { rareTag: 0, commonTag: 0, timeRange: 0 };
      for (let run = 0; run < runs; run++) {
        let started = performance.now();
        matches.rareTag = (await store.keys({ tags: [tags.rare] })).length;
        times.rareTag.push(performance.now() - started);
        started = performance.now();
        matches.commonTag = (await store.keys({ tags: [tags.common] })).length;
        times.commonTag.push(performance.now() - started);
        started = performance.now();
        matches.timeRange = (await store.keys(range)).length;
        times.timeRange.push(performance.now() - started);
      }
      return { ...times, matches };
    },
    { runs, tags, range },
  );
}

export interface ExportRun {
  readonly ms: number;
  readonly bytes: number;
}

/** Exports every record as ZIP, then as CSV (the Blobs are made, not downloaded). */
export function exportRuns(page: Page): Promise<{ zip: ExportRun; csv: ExportRun }> {
  return page.evaluate(async () => {
    const b = (globalThis as unknown as { bench: Bench }).bench;
    let started = performance.now();
    const zip = await b.exportZip(b.store, {});
    const zipRun = { ms: performance.now() - started, bytes: zip.size };
    started = performance.now();
    const csv = await b.exportCsv(b.store, {});
    return { zip: zipRun, csv: { ms: performance.now() - started, bytes: csv.size } };
  });
}

/** The store's own count and bytes, and the browser's estimate of this origin's storage. */
export function storageFigures(
  page: Page,
): Promise<{ count: number; bytes: number; usage: number; quota: number }> {
  return page.evaluate(async () => {
    const b = (globalThis as unknown as { bench: Bench }).bench;
    const scope = globalThis as unknown as {
      navigator: { storage: { estimate(): Promise<{ usage?: number; quota?: number }> } };
    };
    const [stats, estimate] = await Promise.all([b.store.stats(), scope.navigator.storage.estimate()]);
    return { ...stats, usage: estimate.usage ?? 0, quota: estimate.quota ?? 0 };
  });
}

/** Cumulative busy time of the page's renderer main thread, in ms (DevTools Performance.getMetrics). */
export async function mainThreadClock(page: Page): Promise<() => Promise<number>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return (metrics.find((metric) => metric.name === 'TaskDuration')?.value ?? Number.NaN) * 1000;
  };
}
