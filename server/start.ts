// `npm start`: builds the front end when dist/ is missing or older than its sources, then starts the
// server. A fresh clone needs nothing more than `npm install && npm start`.
import { fileURLToPath } from 'node:url';
import { staleBuildReason } from './build-freshness.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const stale = staleBuildReason(root);
if (stale) {
  console.log(`Building the app (${stale})…`);
  const { build } = await import('vite');
  await build({ root, logLevel: 'warn' });
}
await import('./index.ts');
