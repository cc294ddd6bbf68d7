// Worker-thread entry: one CenterNet model per worker, so inference never blocks the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { CENTERNET_INPUT_SIZE, ImageDecodeError, decodeToModelInput, loadCenterNet } from './centernet.ts';
import { COCO_LABELS } from './coco-labels.ts';
import { postprocessDetections } from './postprocess.ts';
import type { DetectRequest, WorkerMessage, WorkerOptions } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const options = workerData as WorkerOptions;
const post = (message: WorkerMessage) => port.postMessage(message);

try {
  const model = await loadCenterNet();
  port.on('message', (request: DetectRequest) => {
    void (async () => {
      try {
        const start = performance.now();
        const input = await decodeToModelInput(request.bytes);
        const decoded = performance.now();
        const rows = await model.detect(input.rgb);
        const inferred = performance.now();
        const predictions = postprocessDetections(rows, {
          ...options,
          inputSize: CENTERNET_INPUT_SIZE,
          classCount: COCO_LABELS.length,
        });
        const done = performance.now();
        post({
          type: 'result',
          id: request.id,
          predictions,
          width: input.width,
          height: input.height,
          timing: { decodeMs: decoded - start, modelMs: inferred - decoded, postprocessMs: done - inferred },
        });
      } catch (error) {
        const kind = error instanceof ImageDecodeError ? 'decode' : 'internal';
        post({ type: 'error', id: request.id, kind, message: (error as Error).message });
      }
    })();
  });
  post({ type: 'ready', warmupMs: model.warmupMs });
} catch (error) {
  post({ type: 'failed', message: (error as Error).stack ?? String(error) });
}
