// ONNX exports in the browser: onnxruntime-web's WebAssembly build (SIMD), loaded only for an ONNX export.
// Its wasm binary is one of this app's own assets, never fetched from a CDN. Threads when the page is
// cross-origin isolated (shared memory), one per logical CPU.
import * as ort from 'onnxruntime-web/wasm';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import ortGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import type { ExportFiles } from '../shared/model-export/export-files.ts';
import { onnxSessionRun } from '../shared/model-export/graph-outputs.ts';
import { exposeOnnxTensors } from '../shared/model-export/onnx-model.ts';
import type { ExportPlan } from '../shared/model-export/recognise.ts';
import { wasmFeatures, wasmThreadCount, type ModelRunner } from './model-runner.ts';

// The runtime's module glue as its own same-origin file too: its thread workers then start from that
// file rather than from a copy of the bundle it would otherwise make.
ort.env.wasm.wasmPaths = { wasm: ortWasmUrl, mjs: ortGlueUrl };
const threads = wasmThreadCount();
ort.env.wasm.numThreads = threads;
ort.env.wasm.proxy = false;

export async function loadOnnxRunner(files: ExportFiles, plan: ExportPlan): Promise<ModelRunner> {
  if (files.model.format !== 'onnx') throw new Error('not an ONNX model');
  // Map outputs (ZipMap) cannot come back to JavaScript: the tensor feeding each is made an output.
  const exposed = Object.values(files.signature.zipMapSources);
  const model = exposed.length ? exposeOnnxTensors(files.model.bytes, exposed) : files.model.bytes;
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  return {
    backend: 'onnxruntime-web wasm',
    wasmFeatures: wasmFeatures(true, threads),
    run: onnxSessionRun(session, (values, dims) => new ort.Tensor('float32', values, dims), plan),
    dispose: () => void session.release(),
  };
}
