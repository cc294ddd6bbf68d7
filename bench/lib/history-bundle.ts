// The history benchmark drives the app's own history modules (store, schema, export, view) in a page on
// the app's origin, so it measures the same code on the same IndexedDB the app uses. The built app does
// not expose those modules, so they are bundled here (Vite library mode, one ES module per entry, shared
// chunks between them) and served under /__bench/ through Playwright's routing: nothing is added to the
// app or the server for the benchmark.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { build } from 'vite';
import { REPO_ROOT } from './children.ts';

export const BENCH_PREFIX = '/__bench/';

/** Entry name → source module; each becomes /__bench/<name>.js. */
const ENTRIES = {
  store: 'src/history/history-store.ts',
  db: 'src/history/history-db.ts',
  export: 'src/history/history-export.ts',
  view: 'src/components/history/sightline-history.ts',
} as const;

export interface HistoryBundle {
  readonly dir: string;
  remove(): void;
}

export async function buildHistoryBundle(): Promise<HistoryBundle> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-history-'));
  await build({
    configFile: false,
    root: REPO_ROOT,
    logLevel: 'warn',
    build: {
      outDir: dir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      // Minified like the app's own build, so the figures are the shipped code's.
      minify: true,
      lib: {
        entry: Object.fromEntries(
          Object.entries(ENTRIES).map(([name, file]) => [name, path.join(REPO_ROOT, file)]),
        ),
        formats: ['es'],
        fileName: (_format, name) => `${name}.js`,
      },
    },
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Serves the bundle, and an empty page to run it in, under /__bench/ on the page's origin. */
export async function serveBundle(page: Page, origin: string, bundle: HistoryBundle): Promise<void> {
  await page.route(`${origin}${BENCH_PREFIX}**`, async (route) => {
    const name = new URL(route.request().url()).pathname.slice(BENCH_PREFIX.length);
    if (name === 'page.html') {
      const html =
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>history bench</title><body></body>';
      await route.fulfill({ contentType: 'text/html', body: html });
      return;
    }
    const file = path.join(bundle.dir, path.normalize(name));
    if (!file.startsWith(bundle.dir + path.sep) || !file.endsWith('.js')) {
      await route.fulfill({ status: 404, body: 'not found' });
      return;
    }
    await route.fulfill({ contentType: 'text/javascript', body: readFileSync(file) });
  });
}
