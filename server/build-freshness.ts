// Whether a build output matches the sources it is built from: one rule for the app (dist/) and for the
// compiled server (dist-server/), used by `npm start` (server/start.ts) and by the benchmarks that
// measure what it runs.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'];

/** Newest modification time under a file or folder (0 when it does not exist). */
function newest(target: string): number {
  let info;
  try {
    info = statSync(target);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(target).reduce(
    (latest, entry) => Math.max(latest, newest(path.join(target, entry))),
    info.mtimeMs,
  );
}

/** Why `output` (a file under `root`) needs building from `sources`, or undefined when it is up to date. */
function staleReason(root: string, output: string, sources: readonly string[]): string | undefined {
  const builtAt = newest(path.join(root, output));
  if (builtAt === 0) return `${output} is missing`;
  const changed = sources.filter((source) => newest(path.join(root, source)) > builtAt);
  return changed.length ? `${changed.join(', ')} changed since the last build` : undefined;
}

/** Why the app under `root` needs building, or undefined when dist/ is up to date. */
export function staleBuildReason(root: string): string | undefined {
  return staleReason(root, 'dist/index.html', SOURCES);
}

/** Why the compiled server needs building, or undefined when dist-server/ is up to date. */
export function staleServerReason(root: string): string | undefined {
  return staleReason(root, 'dist-server/index.js', ['server', 'package.json']);
}
