// Starting a worker thread on one of the server's own modules, from its TypeScript sources or its build.
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker on `entry` (a .ts module beside its caller, or the .js one built from it). When the server
 * runs from TypeScript sources (through tsx), the worker needs tsx's loader registered inside it before the
 * entry is imported: Node 20 does not apply a parent's `--import tsx` hooks to a worker's .ts entry.
 */
export function startModuleWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const bootstrap = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(entry.href)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** The URL of module `name` (without extension) beside `from`, in the same form (.ts or .js) as `from`. */
export const siblingModule = (name: string, from: string): URL =>
  new URL(from.endsWith('.ts') ? `./${name}.ts` : `./${name}.js`, from);
