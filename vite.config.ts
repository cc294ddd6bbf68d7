/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA, type ManifestOptions } from 'vite-plugin-pwa';
import { SERVER_PATH_ROOTS } from './src/shared/server-routes.ts';

// The Node server (server/index.ts) serves the built app from dist/ and answers /api and /customvision.
// In `npm run dev`, Vite serves the app and forwards those routes to the server.
const apiTarget = `http://127.0.0.1:${process.env.PORT ?? '8080'}`;

// The web app manifest. Colours are the shell's light scheme (src/app/sightline-app.styles.ts): the page's
// own theme-color meta tags switch the title bar to the dark scheme where the platform supports it.
const manifest: Partial<ManifestOptions> = {
  id: '/',
  name: 'Sightline — live camera detection',
  short_name: 'Sightline',
  description: 'Point a camera at the world and see, live, what a trained vision model sees in it.',
  lang: 'en',
  start_url: '/',
  scope: '/',
  display: 'standalone',
  theme_color: '#ffffff',
  background_color: '#f4f6fa',
  categories: ['utilities', 'productivity'],
  // Drawn once from public/icons/icon.svg; the maskable ones keep the glyph inside the 80% safe zone.
  icons: [
    { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
    { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
    { src: '/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
    { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
  ],
  shortcuts: [
    {
      name: 'Kiosk mode',
      short_name: 'Kiosk',
      description: 'Full-screen detections with no controls, recovering by itself',
      url: '/?kiosk=1',
      icons: [{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' }],
    },
  ],
};

/**
 * TensorFlow.js's wasm backend starts each of its WebAssembly threads in a worker made from two `blob:`
 * scripts: the thread's own loop (a string in the package) and the runtime's factory, re-serialised with
 * `Function.toString()`. Once bundled and minified, that function refers to names of its enclosing module
 * that a blob does not have, so no thread starts (and `blob:` scripts would need a looser CSP). This gives
 * both as files served from this origin instead: the thread loop, and the package's own, unminified
 * runtime glue, which defines the same factory when a thread loads it.
 */
function tfjsWasmThreadsFromThisOrigin(): Plugin {
  const require = createRequire(import.meta.url);
  const wasmOut = '@tensorflow/tfjs-backend-wasm/wasm-out/';
  let threadLoop = '';
  let runtimeGlue = '';
  return {
    name: 'sightline:tfjs-wasm-threads',
    apply: 'build',
    buildStart() {
      const { wasmWorkerContents } = require(`${wasmOut}tfjs-backend-wasm-threaded-simd.worker.js`) as {
        wasmWorkerContents: string;
      };
      threadLoop = this.emitFile({
        type: 'asset',
        // Named like the rest of the runtime, so the service worker keeps it with them (src/sw/sw.ts).
        name: 'tfjs-backend-wasm-thread.worker.js',
        // The package escapes the string's newlines the same way before making its blob.
        source: wasmWorkerContents.replace(/\n/g, '\\n'),
      });
      runtimeGlue = this.emitFile({
        type: 'asset',
        name: 'tfjs-backend-wasm-threaded-simd.js',
        source: readFileSync(require.resolve(`${wasmOut}tfjs-backend-wasm-threaded-simd.js`), 'utf8'),
      });
    },
    transform(code, id) {
      if (!id.replaceAll('\\', '/').endsWith('/@tensorflow/tfjs-backend-wasm/dist/backend_wasm.js')) {
        return null;
      }
      const threadWorker = /const response = wasmWorkerContents[^]*?return URL\.createObjectURL\(blob\);/;
      const factoryBlob = /factoryConfig\.mainScriptUrlOrBlob = new Blob\([^]*?\);/;
      // A new TensorFlow.js release that changed these lines fails the build here, not the threads later.
      if (!threadWorker.test(code) || !factoryBlob.test(code)) {
        this.error('tfjs-backend-wasm changed: its thread workers can no longer be pointed at files.');
      }
      return code
        .replace(threadWorker, `return import.meta.ROLLUP_FILE_URL_${threadLoop};`)
        .replace(
          factoryBlob,
          `factoryConfig.mainScriptUrlOrBlob = import.meta.ROLLUP_FILE_URL_${runtimeGlue};`,
        );
    },
  };
}

export default defineConfig({
  build: {
    outDir: 'dist',
    target: 'es2022',
    // Written for the operator (dist/assets/*.map, to decode a stack trace from a report) but neither
    // referenced by the bundles nor served (server/routes/static.ts), so the sources stay private.
    sourcemap: 'hidden',
  },
  worker: {
    plugins: () => [tfjsWasmThreadsFromThisOrigin()],
    rollupOptions: {
      // Worker maps carry their line mappings but not the libraries' sources: TensorFlow.js's doc comments
      // name CDN addresses that no built file may (test/server/pwa-build.test.ts), though none is fetched.
      output: { sourcemapExcludeSources: true },
    },
  },
  plugins: [
    VitePWA({
      // Our own Workbox service worker (src/sw/sw.ts), bundled from npm packages; the plugin injects the
      // precache list into it and writes the web manifest. Registration is ours (src/pwa/register-sw.ts).
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      injectRegister: false,
      manifest,
      injectManifest: {
        // A classic script, not an ES module: module service workers are not supported everywhere yet.
        rollupFormat: 'iife',
        // The whole app shell, lazily loaded chunks (history) and the frame worker included, so that the
        // app opens and every view works offline (the plugin adds the manifest and its icons). Source maps
        // stay out: only DevTools wants them.
        globPatterns: ['**/*.{html,js,css,svg}'],
        // The on-device runtime (about 2 MB) is not fetched with the app: the service worker keeps it
        // when device mode first loads it (src/sw/sw.ts), so the first load stays small.
        globIgnores: ['**/inference.worker-*.js', '**/tfjs-backend-wasm*.js'],
      },
    }),
  ],
  server: {
    // Everything the server answers itself (src/shared/server-routes.ts), /pair and /metrics included.
    proxy: Object.fromEntries(SERVER_PATH_ROOTS.map((root) => [root, apiTarget])),
  },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/server/**/*.test.ts'],
    environment: 'node',
    // The local detector loads a real model in worker threads; give those tests room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Server tests start real servers and model workers: run files one at a time so they do not fight
    // over the two cores.
    fileParallelism: false,
  },
});
