// Compiles the server to plain JavaScript in dist-server/ (one ES module for the server, one for each kind
// of worker thread; packages stay in node_modules). `npm start` runs that, not the TypeScript
// sources through tsx: tsx keeps function names by wrapping every function a request creates, which made
// each forwarded prediction cost about a fifth more CPU (bench:server, section C). Tests and
// `npm run dev` still run the sources.
//
// `npm run build:server` runs it alone (the Docker image does, at build time).
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_BUNDLE = 'dist-server/index.js';

/**
 * index.js and the worker entries side by side, each named as the module that starts it asks for it with
 * `siblingModule` (test/server/server-bundle.test.ts checks that none is missing).
 */
export const SERVER_ENTRY_POINTS = {
  index: 'server/index.ts',
  worker: 'server/detector/worker.ts',
  'export-worker': 'server/model-export/export-worker.ts',
  'training-worker': 'server/training-store/training-worker.ts',
} as const;

export async function bundleServer(root: string, outdir = path.join(root, 'dist-server')): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: SERVER_ENTRY_POINTS,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Stack traces in the log point at the TypeScript sources (node --enable-source-maps).
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

// Run as a script: compile now.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleServer(fileURLToPath(new URL('..', import.meta.url)));
}
