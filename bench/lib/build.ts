// The client benchmark measures the app the server serves from dist/, so that build must match the
// sources: rebuilt (with `vite build`, as a child) when dist/index.html is missing or older than anything
// it is built from, the same rule `npm start` follows (server/start.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './children.ts';

const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'];
const BUILD_DEADLINE_MS = 180_000;

/** The build in progress, so that Ctrl-C can stop it. */
let building: ChildProcess | undefined;

/** Newest modification time under a file or folder (0 when it does not exist). */
function newest(target: string): number {
  let info;
  try {
    info = statSync(target);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(target).reduce(
    (latest, entry) => Math.max(latest, newest(path.join(target, entry))),
    info.mtimeMs,
  );
}

/** Why dist/ needs building, or undefined when it is up to date. */
export function staleBuildReason(): string | undefined {
  const builtAt = newest(path.join(REPO_ROOT, 'dist', 'index.html'));
  if (builtAt === 0) return 'dist/index.html is missing';
  const changed = SOURCES.filter((source) => newest(path.join(REPO_ROOT, source)) > builtAt);
  return changed.length ? `${changed.join(', ')} changed since the last build` : undefined;
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
