// Starting the servers under test as children and waiting, with a deadline, until each can answer.
import { existsSync, readFileSync } from 'node:fs';
import { staleServerReason } from '../../server/build-freshness.ts';
import { bundleServer, SERVER_BUNDLE } from '../../server/bundle.ts';
import { childError, REPO_ROOT, startChild, stopChild, type Child } from './children.ts';
import { freePort, KeepAliveClient } from './http.ts';

export interface RunningChild {
  readonly child: Child;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stop(): Promise<void>;
}

/** What /api/health says; only the fields the benchmark reads. */
export interface Health {
  readonly ready: boolean;
  readonly source: string;
  readonly detail: string;
  readonly upstream: { readonly workers?: number; readonly queueLimit?: number };
}

const POLL_MS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sightline's settings that choose or tune its upstream: left to chance, they would change what is measured. */
const UPSTREAM_SETTING = /^(CUSTOM_VISION_|LOCAL_DETECTOR_)\w+$/;

/** The upstream settings named in the repository's .env file, which server/index.ts loads at boot. */
function dotEnvSettings(): string[] {
  const file = `${REPO_ROOT}.env`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => /^\s*(?:export\s+)?([A-Z0-9_]+)\s*=/.exec(line)?.[1] ?? '')
    .filter((name) => UPSTREAM_SETTING.test(name));
}

/**
 * The environment a child starts from: the parent's, with every upstream setting blanked (the parent's and
 * the .env file's), so that only what the benchmark passes counts. Blanked rather than removed: "" means
 * unset to server/env.ts, and .env cannot override a variable that exists, even empty.
 */
function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const names = [
    ...Object.keys(process.env).filter((name) => UPSTREAM_SETTING.test(name)),
    ...dotEnvSettings(),
  ];
  const blank = Object.fromEntries(names.map((name) => [name, '']));
  return { ...process.env, ...blank, ...extra };
}

/** Compiles the server when dist-server/ is missing or older than its sources, as `npm start` does. */
async function freshServerBundle(): Promise<string> {
  const stale = staleServerReason(REPO_ROOT);
  if (stale) {
    process.stderr.write(`[bench] compiling the server (${stale})\n`);
    await bundleServer(REPO_ROOT);
  }
  return `${REPO_ROOT}${SERVER_BUNDLE}`;
}

/**
 * Sightline compiled, as `npm start` runs it, on a free loopback port. With device tokens on, `token`
 * is one of them: the health details that say it is ready are only for authorised callers.
 */
export async function startSightline(
  name: string,
  env: Readonly<Record<string, string>>,
  expectedSource: 'local' | 'custom-vision',
  deadlineMs: number,
  token?: string,
  /** Another compiled server (e.g. an older checkout's dist-server/index.js) to run instead of this one. */
  bundle?: string,
): Promise<RunningChild & { health: Health }> {
  const port = await freePort();
  const child = startChild(
    name,
    process.execPath,
    ['--enable-source-maps', bundle ?? (await freshServerBundle())],
    childEnv({ ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
  );
  const url = `http://127.0.0.1:${port}`;
  const running = { child, url, stop: () => stopChild(child) };
  const health = await waitForReady(running, deadlineMs, token);
  if (health.source !== expectedSource) {
    throw new Error(`${name} serves "${health.source}", not "${expectedSource}": ${health.detail}`);
  }
  return { ...running, health };
}

/** Polls /api/health until it reports ready; fails early if the child dies or says it cannot start. */
async function waitForReady(running: RunningChild, deadlineMs: number, token?: string): Promise<Health> {
  const client = new KeepAliveClient();
  const deadline = performance.now() + deadlineMs;
  try {
    while (performance.now() < deadline) {
      if (running.child.hasExited())
        throw childError(running.child, `${running.child.name} exited before it was ready`);
      const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
      const health = await client.get(`${running.url}/api/health`, headers).then(
        (answer) => JSON.parse(answer.body.toString('utf8')) as Health,
        () => undefined, // not listening yet
      );
      if (health?.ready) return health;
      if (health?.detail.includes('failed to start'))
        throw childError(running.child, `${running.child.name}: ${health.detail}`);
      await sleep(POLL_MS);
    }
    throw childError(running.child, `${running.child.name} was not ready within ${deadlineMs / 1000} s`);
  } finally {
    client.close();
  }
}

export interface FakeOptions {
  readonly key: string;
  readonly projectId: string;
  readonly publishedName: string;
  /** Fixed latency of every answer (default 0). */
  readonly latencyMs?: number;
}

/** test/support/fake-custom-vision.ts standalone; it prints {"url": ...} once it listens. */
export async function startFakeCustomVision(
  options: FakeOptions,
  deadlineMs = 30_000,
): Promise<RunningChild> {
  const port = await freePort();
  const args = [
    '--import',
    'tsx',
    'test/support/fake-custom-vision.ts',
    '--port',
    String(port),
    '--latency-ms',
    String(options.latencyMs ?? 0),
  ];
  args.push(
    '--key',
    options.key,
    '--project-id',
    options.projectId,
    '--published-name',
    options.publishedName,
  );
  const child = startChild('the fake Custom Vision', process.execPath, args, childEnv({}));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(childError(child, `the fake Custom Vision did not start within ${deadlineMs / 1000} s`)),
      deadlineMs,
    );
    child.onStdoutLine((line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    void child.exited.then(() => {
      clearTimeout(timer);
      reject(childError(child, 'the fake Custom Vision exited before it was listening'));
    });
  });
  return { child, url, stop: () => stopChild(child) };
}

/** bench/lib/bare-forwarder.ts in front of `upstream`: what forwarding costs in Node with nothing else. */
export async function startBareForwarder(upstream: string, key: string): Promise<RunningChild> {
  const port = await freePort();
  const child = startChild(
    'the bare Node forwarder',
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/lib/bare-forwarder.ts',
      '--port',
      String(port),
      '--upstream',
      upstream,
      '--key',
      key,
    ],
    childEnv({}),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/`, 30_000);
  return { child, url, stop: () => stopChild(child) };
}

/** Polls a URL until anything answers over HTTP (for nginx, which has no health route of its own). */
export async function waitForHttp(child: Child, url: string, deadlineMs: number): Promise<void> {
  const client = new KeepAliveClient();
  const deadline = performance.now() + deadlineMs;
  try {
    while (performance.now() < deadline) {
      if (child.hasExited()) throw childError(child, `${child.name} exited before it was listening`);
      if (
        await client.get(url).then(
          () => true,
          () => false,
        )
      )
        return;
      await sleep(POLL_MS);
    }
    throw childError(child, `${child.name} did not answer within ${deadlineMs / 1000} s`);
  } finally {
    client.close();
  }
}
