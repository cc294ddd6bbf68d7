// Starts the real server in-process on a free loopback port, with its log captured for assertions.
// Unless a test names its own DATA_DIR, each server gets a fresh temporary one (removed when it closes),
// so a test that touches the local training store never writes into the checkout, and test files
// running side by side never share one.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../server/env.ts';
import { createLogger } from '../../server/observability/logger.ts';
import { buildServer, startServer, type BuiltServer, type RunningServer } from '../../server/server.ts';

/** The environment with a DATA_DIR of its own, and what removes it (nothing when the test gave one). */
function withDataDir(env: Record<string, string>): { env: Record<string, string>; remove: () => void } {
  if (env['DATA_DIR'] !== undefined) return { env, remove: () => undefined };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-data-'));
  return { env: { ...env, DATA_DIR: dir }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `close`, then removes the temporary data directory. */
const closing = (close: () => Promise<void>, remove: () => void) => async () => {
  try {
    await close();
  } finally {
    remove();
  }
};

export interface TestServer extends RunningServer {
  /** Every log line the server wrote (pino JSON), at debug level and up. */
  readonly logs: string[];
}

export async function startTestServer(
  env: Record<string, string>,
  options: { staticDir?: string } = {},
): Promise<TestServer> {
  const logs: string[] = [];
  const data = withDataDir(env);
  const config = parseConfig({ PORT: '0', HOST: '127.0.0.1', ...data.env }, os.availableParallelism());
  const running = await startServer(config, {
    staticDir: options.staticDir ?? new URL('../../dist', import.meta.url).pathname,
    log: createLogger('debug', (line) => logs.push(line)),
  });
  await running.ready;
  return Object.assign(running, { logs, close: closing(running.close.bind(running), data.remove) });
}

export const LOCAL_ENV = { LOCAL_DETECTOR_WORKERS: '1' } as const;

export interface TestApp extends BuiltServer {
  readonly logs: string[];
}

/**
 * The real server's parts without a socket: call it with `app.request(path, init)`. For tests where the
 * network does not matter; they need no port and no connection.
 */
export async function startTestApp(
  env: Record<string, string>,
  options: { staticDir?: string } = {},
): Promise<TestApp> {
  const logs: string[] = [];
  const data = withDataDir(env);
  const config = parseConfig({ PORT: '0', HOST: '127.0.0.1', ...data.env }, os.availableParallelism());
  const built = await buildServer(config, {
    staticDir: options.staticDir ?? new URL('../../dist', import.meta.url).pathname,
    log: createLogger('debug', (line) => logs.push(line)),
  });
  await built.ready;
  return Object.assign(built, { logs, close: closing(built.close.bind(built), data.remove) });
}
