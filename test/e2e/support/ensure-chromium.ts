// Run before Playwright (`npm run test:e2e`): makes sure a Chromium exists, installing Debian's package when
// that is possible without asking anyone, and otherwise says exactly what to install. It never lets
// Playwright download a browser, which would fail offline and bypass the distribution's security updates.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { findChromium } from './find-chromium.ts';

function report(path: string): never {
  console.log(`Chromium for end-to-end tests: ${path}`);
  process.exit(0);
}

function canInstallWithApt(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    accessSync('/usr/bin/apt-get', constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const found = findChromium();
if (found) report(found);

if (process.env['CHROMIUM_PATH']) {
  console.error(
    `CHROMIUM_PATH is set to "${process.env['CHROMIUM_PATH']}", which is not an executable file.`,
  );
}

if (canInstallWithApt()) {
  console.log('No Chromium found; installing Debian’s chromium package with apt-get…');
  const result = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status === 0) {
    const installed = findChromium();
    if (installed) report(installed);
    console.error('apt-get installed chromium, but no Chromium executable was found afterwards.');
  } else {
    console.error(`apt-get failed (exit status ${String(result.status ?? result.signal)}).`);
  }
}

console.error(
  [
    'No Chromium found for the end-to-end tests. Install one, then run the tests again:',
    '  Debian/Ubuntu:  sudo apt-get install chromium',
    '  anywhere else:  install Chromium or Chrome and set CHROMIUM_PATH=/path/to/the/executable',
  ].join('\n'),
);
process.exit(1);
