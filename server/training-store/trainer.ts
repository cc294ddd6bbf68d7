// Runs a training job in a worker thread of its own and answers with its result.
import { siblingModule, startModuleWorker } from '../workers/worker-thread.ts';
import type { TrainingJobInput, TrainingJobResult } from './training-job.ts';

const ENTRY = siblingModule('training-worker', import.meta.url);

type Message = { type: 'done'; result: TrainingJobResult } | { type: 'failed'; message: string };

/** Trains in a worker of its own; `signal` stops it (the worker is ended, the promise rejects). */
export function trainInWorker(input: TrainingJobInput, signal?: AbortSignal): Promise<TrainingJobResult> {
  signal?.throwIfAborted();
  const worker = startModuleWorker(ENTRY, input);
  return new Promise<TrainingJobResult>((resolve, reject) => {
    signal?.addEventListener('abort', () => void worker.terminate(), { once: true });
    worker.once('message', (message: Message) => {
      if (message.type === 'done') resolve(message.result);
      else reject(new Error(message.message));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`The training worker stopped (exit code ${code}).`)));
  });
}
