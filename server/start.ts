// `npm start`: builds the front end when dist/ is missing or older than its sources, compiles the server
// when dist-server/ is (server/bundle.ts says why it runs compiled), then starts the server. A fresh
// clone needs nothing more than `npm install && npm start`.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { staleBuildReason, staleServerReason } from './build-freshness.ts';
import { bundleServer, SERVER_BUNDLE } from './bundle.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const stale = staleBuildReason(root);
if (stale) {
  console.log(`Building the app (${stale})…`);
  const { build } = await import('vite');
  await build({ root, logLevel: 'warn' });
}
const staleServer = staleServerReason(root);
if (staleServer) {
  console.log(`Compiling the server (${staleServer})…`);
  await bundleServer(root);
}
process.setSourceMapsEnabled(true);
await import(pathToFileURL(`${root}${SERVER_BUNDLE}`).href);
