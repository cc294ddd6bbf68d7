// Runs a real redis-server (Debian's package; .ci/run installs it) on a free loopback port, with no
// persistence, for the tests that share a budget through Redis. It can be stopped and started again on
// the same port, to test what the server does while Redis is away.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './spawn-server.ts';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted). */
  start(): Promise<void>;
}

export function requireRedisServer(): void {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'redis-server is not installed, and the shared-budget tests need a real one. Install it with ' +
        '`apt-get update && apt-get install -y redis-server` (Debian; .ci/run does this).',
    );
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  requireRedisServer();
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const proc = spawn(
      'redis-server',
      // DEBUG SLEEP (from this machine only) stands in for a Redis too slow to answer in time.
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--enable-debug-command',
        'local',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited while starting:\n${output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer within 10 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50)); // polling interval
    }
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}
