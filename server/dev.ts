// `npm run dev`: the API server as a child process plus Vite's dev server in this process, which proxies
// /api and /customvision to it (see vite.config.ts). The two live and die together: Ctrl-C, SIGTERM or
// either one exiting stops both, so no orphaned server keeps the port busy for the next run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

// vite.config.ts reads PORT to aim its proxy, so settle it before the config is loaded.
process.env['PORT'] ??= '8080';
// Only Vite talks to the API server in development; there is no reason to expose it beyond loopback.
process.env['HOST'] ??= '127.0.0.1';

const api = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
  cwd: root,
  env: process.env,
  stdio: 'inherit',
});

let vite: ViteDevServer | undefined;
let stopping = false;

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (api.exitCode === null && api.signalCode === null) api.kill('SIGTERM');
  try {
    await vite?.close();
  } catch (error) {
    console.error('Vite did not close cleanly:', error);
  }
  process.exitCode = exitCode;
  // Give the API server a moment to finish its own shutdown before this process goes.
  if (api.exitCode === null && api.signalCode === null) {
    const force = setTimeout(() => api.kill('SIGKILL'), 5_000);
    force.unref();
    await new Promise<void>((resolve) => api.once('exit', () => resolve()));
  }
  process.exit(exitCode);
}

api.once('error', (error) => {
  console.error('Could not start the API server:', error);
  void stop(1);
});
api.once('exit', (code, signal) => {
  if (stopping) return;
  console.error(`The API server stopped (${signal ?? `exit code ${String(code)}`}); stopping Vite too.`);
  void stop(code ?? 1);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stop(0));
}
// Vite's own exits (its SIGTERM handler, the "q" shortcut) call process.exit() without asking us: make sure
// the API server does not outlive this process and keep the port busy. kill() is synchronous, so it is
// allowed in an exit handler.
process.once('exit', () => {
  if (api.exitCode === null && api.signalCode === null) api.kill('SIGTERM');
});

try {
  vite = await createServer({ root, configFile: `${root}vite.config.ts` });
  await vite.listen();
  if (!stopping) {
    console.log(`\nSightline dev server (API on http://${process.env['HOST']}:${process.env['PORT']}):`);
    vite.printUrls();
    vite.bindCLIShortcuts({ print: true });
  }
} catch (error) {
  console.error('Could not start Vite:', error);
  await stop(1);
}
