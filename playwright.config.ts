import { defineConfig } from '@playwright/test';
import { findChromium } from './test/e2e/support/find-chromium.ts';
import { BASE_ARGS } from './test/e2e/support/live-page.ts';
import { blankServerSettings } from './test/support/spawn-server.ts';
import { E2E_HOST, E2E_ORIGIN, E2E_PORT } from './test/e2e/support/server-port.ts';

// The tests must exercise the embedded local detector, open on loopback, whatever the developer has
// exported or put in .env: every server setting is blanked (see blankServerSettings).
const blankCustomVision = blankServerSettings();

const isCI = Boolean(process.env['CI']);

export default defineConfig({
  testDir: 'test/e2e',
  // `npm run screenshots` (SIGHTLINE_SCREENSHOTS=1) takes the README's pictures instead of running the tests.
  testMatch: process.env['SIGHTLINE_SCREENSHOTS'] ? 'screenshots.take.ts' : '*.spec.ts',
  // Two cores, one real model server: parallel browsers would only measure contention.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: isCI,
  reporter: isCI ? 'line' : 'list',
  timeout: 60_000,
  use: {
    baseURL: E2E_ORIGIN,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      // undefined lets Playwright report its own "browser not found" error; ensure-chromium.ts runs first.
      executablePath: findChromium(),
      // No network and running as root on the test machines: no sandbox, and nothing that phones home.
      args: BASE_ARGS,
    },
  },
  webServer: {
    // The real server as `npm start` runs it: compiled (dist-server/), serving the production build in
    // dist/ (`npm run test:e2e` builds it first; start.ts compiles the server when it is stale).
    command: 'node --import tsx server/start.ts',
    url: `${E2E_ORIGIN}/api/health`,
    env: { ...blankCustomVision, PORT: String(E2E_PORT), HOST: E2E_HOST, LOG_LEVEL: 'warn' },
    reuseExistingServer: false,
    // The local detector loads its model at start-up, which takes a while on a 2-core machine.
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
