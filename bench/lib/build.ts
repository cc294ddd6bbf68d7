// The client benchmark measures the app the server serves from dist/, so that build must match the
// sources: rebuilt (with `vite build`, as a child) when dist/index.html is missing or older than anything
// it is built from, the same rule `npm start` follows (server/start.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { staleBuildReason as staleReason } from '../../server/build-freshness.ts';
import { REPO_ROOT } from './children.ts';

const BUILD_DEADLINE_MS = 180_000;

/** The build in progress, so that Ctrl-C can stop it. */
let building: ChildProcess | undefined;

/** Why dist/ needs building, or undefined when it is up to date (the rule `npm start` follows). */
export function staleBuildReason(): string | undefined {
  return staleReason(REPO_ROOT);
}

/** Runs `vite build` (its output goes to stderr, so stdout stays the report). */
export async function viteBuild(): Promise<void> {
  const vite = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 2, 2],
  });
  building = child;
  const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_DEADLINE_MS);
  try {
    const code = await new Promise<number | string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
    });
    if (code !== 0) throw new Error(`vite build failed (${code})`);
  } finally {
    clearTimeout(timer);
    building = undefined;
  }
}

/** Stops a build still running (for Ctrl-C). */
export function stopBuild(): void {
  if (building && building.exitCode === null) building.kill('SIGTERM');
}
