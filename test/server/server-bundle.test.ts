// The compiled server (`npm start` runs dist-server/, not the sources) carries every worker thread the
// sources start: a worker left out of the bundle fails only when that feature is first used.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleServer } from '../../server/bundle.ts';

const ROOT = path.join(import.meta.dirname, '../..');

/** Every `siblingModule('name', …)` in the server's sources: the compiled modules they expect beside them. */
function workerModulesAskedFor(folder: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const source = readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    for (const match of source.matchAll(/siblingModule\(\s*'([\w-]+)'/g)) names.push(match[1]!);
  }
  return names;
}

describe('the compiled server', () => {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'sightline-server-bundle-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('has a module for every worker thread the server starts', async () => {
    await bundleServer(ROOT, outdir);
    const asked = workerModulesAskedFor(path.join(ROOT, 'server'));
    // The detector's, the exported models' and local training's.
    expect(asked).toEqual(expect.arrayContaining(['worker', 'export-worker', 'training-worker']));
    const built = new Set(readdirSync(outdir));
    for (const name of asked) expect(built, `${name}.js`).toContain(`${name}.js`);
  });
});
