// What the inference worker needs of a runtime: the plan's input tensor in, its outputs by name out.
import type { ModelOutputs } from '../shared/model-export/decode.ts';

export interface ModelRunner {
  /** e.g. "wasm", "webgl", "onnxruntime-web wasm". */
  readonly backend: string;
  /** For WebAssembly backends: whether SIMD and threads are in use. */
  readonly wasmFeatures?: string;
  run(input: Float32Array): Promise<ModelOutputs>;
  dispose(): void;
}
