// Worker-thread entry: one CenterNet model per worker, so inference never blocks the server's event loop.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import {
  CENTERNET_INPUT_SIZE,
  FEATURE_LENGTH,
  ImageDecodeError,
  decodeToModelInput,
  loadCenterNet,
  type CenterNet,
  type ModelInput,
} from './centernet.ts';
import { augmentedViews } from './feature-views.ts';
import { COCO_LABELS } from './coco-labels.ts';
import { postprocessDetections } from './postprocess.ts';
import type { DetectRequest, WorkerMessage, WorkerOptions } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const options = workerData as WorkerOptions;
const post = (message: WorkerMessage) => port.postMessage(message);

// Each worker decodes one image at a time and the workers are the parallelism: more libvips threads per
// decode would multiply its buffers (on musl, e.g. Alpine, libvips starts one per core). And nothing is
// worth caching between requests (every image is new), while the cache would keep decoded pixels alive.
// Both settings are process-wide in libvips, the same for every worker.
sharp.concurrency(1);
sharp.cache(false);

/**
 * A request's bytes (up to 4 MB, moved to this thread) are freed only when this thread's V8 heap is
 * collected. The model's tensors live in wasm memory, so the heap itself grows slowly and V8 collects
 * rarely: dead images pile up, tens of MB per worker, and the server's resident memory creeps up burst
 * after burst. So a collection follows each large image; camera frames (tens of KB) never pay for one.
 */
const COLLECT_AFTER_BYTES = 1024 * 1024;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The image's feature vectors: its own, or (for training) its augmented views' as well. */
async function featuresOf(model: CenterNet, input: ModelInput, withViews: boolean): Promise<Float32Array> {
  const views = withViews ? await augmentedViews(input) : [input.rgb];
  const vectors = new Float32Array(views.length * FEATURE_LENGTH);
  for (const [index, view] of views.entries())
    vectors.set(await model.features(view), index * FEATURE_LENGTH);
  return vectors;
}

try {
  const model = await loadCenterNet();
  port.on('message', (request: DetectRequest) => {
    void (async () => {
      try {
        const start = performance.now();
        const input = await decodeToModelInput(request.bytes);
        const decoded = performance.now();
        if (request.type !== 'detect') {
          const vectors = await featuresOf(model, input, request.type === 'feature-views');
          const modelMs = performance.now() - decoded;
          post({
            type: 'features',
            id: request.id,
            vectors,
            views: vectors.length / FEATURE_LENGTH,
            timing: { decodeMs: decoded - start, modelMs, postprocessMs: 0 },
          });
          return;
        }
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
      } finally {
        if (request.bytes.byteLength >= COLLECT_AFTER_BYTES) collectGarbage();
      }
    })();
  });
  post({ type: 'ready', warmupMs: model.warmupMs });
} catch (error) {
  post({ type: 'failed', message: (error as Error).stack ?? String(error) });
}
