// The processes under test (Sightline, the fake Custom Vision, nginx) run as children, each in its own
// process group so that one signal reaches everything it started (nginx's workers too). Every child is
// tracked until it exits, and every way out of the benchmark (normal end, error, Ctrl-C, SIGTERM) kills
// the ones still running: a benchmark must never leave servers behind on a shared machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How many of a child's last output lines to keep for an error message. */
const KEPT_LINES = 40;

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** The child's last lines of stdout and stderr, to explain a failure. */
  readonly output: string[];
  /** Resolves when the child has exited (or could not be started). */
  readonly exited: Promise<void>;
  readonly hasExited: () => boolean;
  /** Calls `listener` with each later line of the child's stdout. */
  onStdoutLine(listener: (line: string) => void): void;
}

const running = new Set<Child>();
/** Children asked to stop by the benchmark; any other exit is a crash worth reporting. */
const stopRequested = new WeakSet<Child>();
const crashes: { child: Child; how: string }[] = [];
/** Children whose output an error message already carries (see childError), not to be repeated. */
const reported = new WeakSet<Child>();

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Child {
  const proc = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const stdoutListeners: ((line: string) => void)[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > KEPT_LINES) output.shift();
  };
  createInterface({ input: proc.stdout }).on('line', (line) => {
    keep(line);
    for (const listener of stdoutListeners) listener(line);
  });
  createInterface({ input: proc.stderr }).on('line', keep);

  let exited = false;
  const child: Child = {
    name,
    process: proc,
    output,
    hasExited: () => exited,
    exited: new Promise((resolve) => {
      const done = () => {
        exited = true;
        running.delete(child);
        resolve();
      };
      proc.once('exit', (code, signal) => {
        if (!stopRequested.has(child)) crashes.push({ child, how: signal ?? `code ${code}` });
        done();
      });
      // e.g. ENOENT: 'exit' may never come.
      proc.once('error', (error) => {
        keep(`${name} could not be started: ${error.message}`);
        done();
      });
    }),
    onStdoutLine: (listener) => void stdoutListeners.push(listener),
  };
  running.add(child);
  return child;
}

/**
 * Children that died without being asked to, with their last output: when a request fails with
 * ECONNREFUSED or a reset, this says why.
 */
export function describeCrashes(): string {
  return crashes
    .filter(({ child }) => !reported.has(child))
    .map(({ child, how }) => childError(child, `${child.name} exited by itself (${how})`).message)
    .join('\n');
}

/** An Error that carries what the child printed last, for when it failed to start or died. */
export function childError(child: Child, message: string): Error {
  reported.add(child);
  const tail = child.output.length
    ? `\n--- last output of ${child.name} ---\n${child.output.join('\n')}`
    : '';
  return new Error(`${message}${tail}`);
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.process.pid === undefined || child.hasExited()) return;
  try {
    process.kill(-child.process.pid, signal); // the whole group: the child and whatever it forked
  } catch {
    // ESRCH: already gone.
  }
}

/** Asks the child to stop (SIGTERM, so servers shut down cleanly), and kills it if it has not within `graceMs`. */
export async function stopChild(child: Child, graceMs = 5_000): Promise<void> {
  stopRequested.add(child);
  signalGroup(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const late = await Promise.race([child.exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    signalGroup(child, 'SIGKILL');
    await child.exited;
  }
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/**
 * Makes sure no child outlives the benchmark: on SIGINT/SIGTERM run `beforeStop` (drop the benchmark's
 * connections), stop the children and exit; on any exit (including an uncaught error or process.exit)
 * SIGKILL whatever is still running, since nothing asynchronous can run any more at that point.
 */
export function installCleanup(beforeStop: () => void): void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n[bench] ${signal}: stopping the servers under test\n`);
    beforeStop();
    // A short grace: the benchmark is still running meanwhile and may keep a server busy.
    void Promise.all([...running].map((child) => stopChild(child, 2_000))).finally(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const child of running) signalGroup(child, 'SIGKILL');
  });
}
