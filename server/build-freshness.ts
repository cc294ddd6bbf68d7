// Whether dist/ matches the sources it is built from: one rule, used by `npm start` (server/start.ts)
// and by the benchmarks that measure the built app.
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

/** Why the app under `root` needs building, or undefined when dist/ is up to date. */
export function staleBuildReason(root: string): string | undefined {
  const builtAt = newest(path.join(root, 'dist', 'index.html'));
  if (builtAt === 0) return 'dist/index.html is missing';
  const changed = SOURCES.filter((source) => newest(path.join(root, source)) > builtAt);
  return changed.length ? `${changed.join(', ')} changed since the last build` : undefined;
}
