// `npm start`: builds the front end when dist/ is missing or older than its sources, then starts the
// server. A fresh clone needs nothing more than `npm install && npm start`.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
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

const builtAt = newest(path.join(root, 'dist', 'index.html'));
const changedAt = Math.max(...SOURCES.map((source) => newest(path.join(root, source))));
if (builtAt === 0 || changedAt > builtAt) {
  console.log(
    builtAt === 0
      ? 'Building the app (first start)…'
      : 'Sources changed since the last build: rebuilding the app…',
  );
  const { build } = await import('vite');
  await build({ root, logLevel: 'warn' });
}
await import('./index.ts');
