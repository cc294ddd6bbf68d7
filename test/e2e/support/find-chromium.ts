// Finds a Chromium for Playwright without ever downloading one: this project's machines are often offline,
// and Debian's `chromium` package is what CI installs.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium } from '@playwright/test';

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const NAMES_ON_PATH = ['chromium', 'chromium-browser'];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function playwrightChromium(): string | undefined {
  try {
    // executablePath() names where Playwright *would* keep its browser, installed or not.
    const path = chromium.executablePath();
    return isExecutableFile(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function onPath(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const name of NAMES_ON_PATH) {
      const candidate = join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The Chromium executable tests should drive: `CHROMIUM_PATH` when set (an explicit choice wins), then
 * Playwright's own build if one is installed, then the usual system locations, then anything called
 * chromium on PATH.
 */
export function findChromium(): string | undefined {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv && isExecutableFile(fromEnv)) return fromEnv;
  return playwrightChromium() ?? SYSTEM_PATHS.find(isExecutableFile) ?? onPath();
}
