// The inference worker's interface, shared by the worker and the page's client (Comlink types both).
import type { ExportImagePrediction } from '../shared/model-export/image-prediction.ts';

export interface LoadedModelInfo {
  /** The TensorFlow.js backend the model runs on: webgpu, webgl or wasm. */
  readonly backend: string;
  /** For wasm: whether SIMD and threads are in use (threads need a cross-origin isolated page). */
  readonly wasmFeatures?: string;
  readonly summary: string;
  readonly projectType: 'detect' | 'classify';
  readonly labels: readonly string[];
  readonly loadMs: number;
}

export interface DeviceAnswer {
  readonly prediction: ExportImagePrediction;
  /** Decoding, model and post-processing in the worker, ms. */
  readonly inferenceMs: number;
}

export interface InferenceWorkerApi {
  /**
   * Loads an export zip (transferred) on the fastest backend this browser offers, or the one named;
   * answers name the project the server serves it under.
   */
  load(exportZip: ArrayBuffer, projectId: string, backend?: string): Promise<LoadedModelInfo>;
  /** One encoded frame (JPEG or PNG, transferred) through the model, answered in Custom Vision's shape. */
  predict(
    jpeg: ArrayBuffer,
    limits: { minProbability: number; maxDetections: number },
  ): Promise<DeviceAnswer>;
}
