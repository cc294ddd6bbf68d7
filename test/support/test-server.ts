// Starts the real server in-process on a free loopback port, with its log captured for assertions.
import os from 'node:os';
import { parseConfig } from '../../server/env.ts';
import { createLogger } from '../../server/observability/logger.ts';
import { buildServer, startServer, type BuiltServer, type RunningServer } from '../../server/server.ts';

export interface TestServer extends RunningServer {
  /** Every log line the server wrote (pino JSON), at debug level and up. */
  readonly logs: string[];
}

export async function startTestServer(
  env: Record<string, string>,
  options: { staticDir?: string } = {},
): Promise<TestServer> {
  const logs: string[] = [];
  const config = parseConfig({ PORT: '0', HOST: '127.0.0.1', ...env }, os.availableParallelism());
  const running = await startServer(config, {
    staticDir: options.staticDir ?? new URL('../../dist', import.meta.url).pathname,
    log: createLogger('debug', (line) => logs.push(line)),
  });
  await running.ready;
  return Object.assign(running, { logs });
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
  const config = parseConfig({ PORT: '0', HOST: '127.0.0.1', ...env }, os.availableParallelism());
  const built = await buildServer(config, {
    staticDir: options.staticDir ?? new URL('../../dist', import.meta.url).pathname,
    log: createLogger('debug', (line) => logs.push(line)),
  });
  await built.ready;
  return Object.assign(built, { logs });
}
