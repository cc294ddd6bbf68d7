// Worker-thread entry: one export's model per worker, so inference never blocks the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { loadExportPredictor } from './export-predictor.ts';
import type { ExportJobRequest, ExportWorkerMessage, ExportWorkerOptions } from './export-protocol.ts';
import { ImageDecodeError } from './image-input.ts';

const port = parentPort;
if (!port) throw new Error('export-worker.ts must run in a worker thread');
const options = workerData as ExportWorkerOptions;
const post = (message: ExportWorkerMessage) => port.postMessage(message);

// The workers are the parallelism: one libvips thread each, and no cache of pictures that never repeat.
sharp.concurrency(1);
sharp.cache(false);

try {
  const predictor = await loadExportPredictor(options.source, options);
  // A run on a blank picture sets the runtime's kernels up, so the first request does not pay for it;
  // the second run's time is the first estimate of a job's.
  const { width, height } = predictor.loaded.plan.input;
  const blank = new Float32Array(width * height * 3);
  await predictor.run(blank);
  const started = performance.now();
  await predictor.run(blank);
  const warmupMs = performance.now() - started;
  port.on('message', (request: ExportJobRequest) => {
    predictor.predict(request.bytes).then(
      (result) => post({ type: 'result', id: request.id, ...result }),
      (error: Error) =>
        post({
          type: 'error',
          id: request.id,
          kind: error instanceof ImageDecodeError ? 'decode' : 'internal',
          message: error.message,
        }),
    );
  });
  post({ type: 'ready', warmupMs, backend: predictor.runner.backend });
} catch (error) {
  post({ type: 'failed', message: (error as Error).message });
}
