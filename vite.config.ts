/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// The Node server (server/index.ts) serves the built app from dist/ and answers /api and /customvision.
// In `npm run dev`, Vite serves the app and forwards those routes to the server.
const apiTarget = `http://127.0.0.1:${process.env.PORT ?? '8080'}`;

export default defineConfig({
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': apiTarget,
      '/customvision': apiTarget,
    },
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
