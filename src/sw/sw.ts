// Sightline's service worker: the app shell from the precache, so the app opens offline; nothing else.
// Workbox comes from npm and is bundled into sw.js at build time (never from a CDN: installations are
// often offline). The plugin (vite.config.ts) replaces self.__WB_MANIFEST with the build's file list.
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import type { PrecacheEntry } from 'workbox-precaching';
import { SERVER_PATH_ROOTS } from '../shared/server-routes.ts';

declare const self: ServiceWorkerGlobalScope & {
  readonly __WB_MANIFEST: (string | PrecacheEntry)[];
};

/** Chromium's static routing (InstallEvent.addRoutes, Chrome 123+), not in TypeScript's library yet. */
interface RoutingInstallEvent extends ExtendableEvent {
  addRoutes?(rules: { condition: { urlPattern: { pathname: string } }; source: 'network' }[]): Promise<void>;
}

/**
 * Paths the server answers itself, even when a browser navigates to them: they must reach the network
 * (or fail) rather than get the app shell. Prediction and API requests are never navigations, and no
 * route below matches them, so the worker never answers them: they go straight to the network, and
 * offline they fail, which is how the app learns the server is unreachable.
 */
const SERVER_PATHS = SERVER_PATH_ROOTS.map((root) => new RegExp(`^${root}(/|$)`, 'i'));

// Where the browser supports it, those requests do not even wake the worker: without this, every
// camera frame's prediction request would be dispatched to the worker's fetch handler first, only to be
// passed on untouched.
self.addEventListener('install', (event) => {
  const patterns = SERVER_PATH_ROOTS.flatMap((root) => [root, `${root}/*`]);
  (event as RoutingInstallEvent)
    .addRoutes?.(patterns.map((pathname) => ({ condition: { urlPattern: { pathname } }, source: 'network' })))
    .catch((error: unknown) => console.warn('Static routes not added:', error));
});

precacheAndRoute(self.__WB_MANIFEST);
// Precaches of earlier Workbox versions would otherwise stay on the device for good.
cleanupOutdatedCaches();

// Any in-scope navigation (`/`, `/?kiosk=1`, `/#history`) gets the precached index.html, online or not:
// it is the same file the server would send, and it is updated with the rest of the shell.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: SERVER_PATHS }));

// The on-device model's runtime (the inference worker, TensorFlow.js's and onnxruntime's wasm files) is left out of the
// precache so that only devices that run models fetch it; once fetched it is kept, for offline use.
// Their names carry a content hash, so a kept copy is never stale.
const DEVICE_RUNTIME_CACHE = 'sightline-device-runtime';
const DEVICE_RUNTIME = /^\/assets\/(inference\.worker-|tfjs-backend-wasm|ort-wasm)/;
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && DEVICE_RUNTIME.test(url.pathname),
  async ({ request }) => {
    const cache = await caches.open(DEVICE_RUNTIME_CACHE);
    const kept = await cache.match(request);
    if (kept) return kept;
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  },
);

// The first worker controls the page that installed it at once, so it works offline without a reload.
// Later versions wait for the user (or the kiosk's idle timer) and then get SKIP_WAITING.
clientsClaim();

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  const data: unknown = event.data;
  if (typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'SKIP_WAITING') {
    void self.skipWaiting();
  }
});
