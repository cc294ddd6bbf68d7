import { defineConfig } from '@playwright/test';
import { findChromium } from './test/e2e/support/find-chromium.ts';
import { E2E_HOST, E2E_ORIGIN, E2E_PORT } from './test/e2e/support/server-port.ts';

// The tests must exercise the embedded local detector, whatever the developer has exported or put in .env.
// Playwright hands its own process.env to the web server, and the server reads .env for variables that are
// not already set; so every Custom Vision variable is set to an empty string, which the server treats as
// unset and which also stops .env from filling it in.
const CUSTOM_VISION_VARIABLES = [
  'CUSTOM_VISION_PREDICTION_ENDPOINT',
  'CUSTOM_VISION_PREDICTION_KEY',
  'CUSTOM_VISION_PROJECT_ID',
  'CUSTOM_VISION_PUBLISHED_NAME',
  'CUSTOM_VISION_PROJECT_TYPE',
  'CUSTOM_VISION_TIMEOUT_MS',
  // Access control, shared limits and TLS would also change what the tests meet.
  'ACCESS_TOKENS',
  'ACCESS_TOKENS_FILE',
  'ALLOWED_ORIGINS',
  'REDIS_URL',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
];
const blankCustomVision = Object.fromEntries(
  [
    ...CUSTOM_VISION_VARIABLES,
    ...Object.keys(process.env).filter((name) => name.startsWith('CUSTOM_VISION_')),
  ].map((name) => [name, '']),
);

const isCI = Boolean(process.env['CI']);

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
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
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // The real server, serving the production build in dist/ (`npm run test:e2e` builds it first).
    command: 'node --import tsx server/index.ts',
    url: `${E2E_ORIGIN}/api/health`,
    env: { ...blankCustomVision, PORT: String(E2E_PORT), HOST: E2E_HOST, LOG_LEVEL: 'warn' },
    reuseExistingServer: false,
    // The local detector loads its model at start-up, which takes a while on a 2-core machine.
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
