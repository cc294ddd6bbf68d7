// ONNX exports in the browser: onnxruntime-web's WebAssembly build (SIMD), loaded only for an ONNX export.
// Its wasm binary is one of this app's own assets, never fetched from a CDN. One thread: its thread
// workers, like TensorFlow.js's, would start from blob: scripts, which the app's CSP refuses.
import * as ort from 'onnxruntime-web/wasm';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { ExportFiles } from '../shared/model-export/export-files.ts';
import { collectOnnxOutputs, inputDims, planOutputNames } from '../shared/model-export/graph-outputs.ts';
import { exposeOnnxTensors } from '../shared/model-export/onnx-model.ts';
import type { ExportPlan } from '../shared/model-export/recognise.ts';
import type { ModelRunner } from './model-runner.ts';

ort.env.wasm.wasmPaths = { wasm: ortWasmUrl };
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;

export async function loadOnnxRunner(files: ExportFiles, plan: ExportPlan): Promise<ModelRunner> {
  if (files.model.format !== 'onnx') throw new Error('not an ONNX model');
  // Map outputs (ZipMap) cannot come back to JavaScript: the tensor feeding each is made an output.
  const exposed = Object.values(files.signature.zipMapSources);
  const model = exposed.length ? exposeOnnxTensors(files.model.bytes, exposed) : files.model.bytes;
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const fetches = planOutputNames(plan);
  return {
    backend: 'onnxruntime-web wasm',
    wasmFeatures: 'SIMD true, threads false',
    async run(input) {
      const feed = new ort.Tensor('float32', input, inputDims(plan));
      const results = await session.run({ [plan.input.name]: feed }, fetches);
      const outputs = collectOnnxOutputs(results, fetches);
      feed.dispose();
      return outputs;
    },
    dispose: () => void session.release(),
  };
}
