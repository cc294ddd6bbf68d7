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

/**
 * How many WebAssembly threads to run: one per logical CPU where the page is cross-origin isolated (the
 * shared memory threads need exists only there), else one.
 */
export function wasmThreadCount(): number {
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) return 1;
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/** The HUD's and benchmarks' description of a WebAssembly runtime, e.g. "SIMD true, threads 2". */
export function wasmFeatures(simd: boolean, threads: number): string {
  return `SIMD ${String(simd)}, threads ${String(threads)}`;
}
