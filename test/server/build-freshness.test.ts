// `npm start` rebuilds the app and recompiles the server exactly when their sources changed.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staleBuildReason, staleServerReason } from '../../server/build-freshness.ts';

let root: string;

/** Writes `file` under the temp root with a modification time `secondsAgo` in the past. */
function touch(file: string, secondsAgo: number): void {
  const full = path.join(root, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, '');
  const at = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(full, at, at);
  utimesSync(path.dirname(full), at, at);
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-freshness-'));
  touch('package.json', 100);
  touch('server/index.ts', 100);
  touch('src/main.ts', 100);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('build freshness', () => {
  it('asks for a build when the output is missing', () => {
    expect(staleBuildReason(root)).toBe('dist/index.html is missing');
    expect(staleServerReason(root)).toBe('dist-server/index.js is missing');
  });

  it('is satisfied by outputs newer than every source', () => {
    touch('dist/index.html', 10);
    touch('dist-server/index.js', 10);
    expect(staleBuildReason(root)).toBeUndefined();
    expect(staleServerReason(root)).toBeUndefined();
  });

  it('names what changed since the last build, each output for its own sources', () => {
    touch('dist/index.html', 10);
    touch('dist-server/index.js', 10);
    touch('server/routes/new-route.ts', 1);
    expect(staleServerReason(root)).toBe('server changed since the last build');
    expect(staleBuildReason(root)).toBeUndefined();
    touch('src/app/shell.ts', 1);
    expect(staleBuildReason(root)).toBe('src changed since the last build');
  });
});
