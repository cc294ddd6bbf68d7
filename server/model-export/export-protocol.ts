// Messages between the export pool (main thread) and its worker threads.
import type { Classification, Detection } from '../../src/shared/model-export/decode.ts';

export interface ExportWorkerOptions {
  /** The export zip or folder each worker loads. */
  readonly source: string;
  readonly minProbability: number;
  readonly maxDetections: number;
}

export interface ExportJobRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
}

export interface ExportTiming {
  readonly decodeMs: number;
  readonly modelMs: number;
  readonly postprocessMs: number;
}

export interface ExportJobResult {
  readonly results: (Detection | Classification)[];
  readonly timing: ExportTiming;
}

export type ExportWorkerMessage =
  | { readonly type: 'ready'; readonly warmupMs: number; readonly backend: string }
  | { readonly type: 'failed'; readonly message: string }
  | ({ readonly type: 'result'; readonly id: number } & ExportJobResult)
  | {
      readonly type: 'error';
      readonly id: number;
      readonly kind: 'decode' | 'internal';
      readonly message: string;
    };
