// Messages between the detector pool (main thread) and its worker threads.
import type { DetectorPrediction, PostprocessOptions } from './postprocess.ts';

export type WorkerOptions = Pick<PostprocessOptions, 'minProbability' | 'maxDetections' | 'iouThreshold'>;

/** What a worker is asked to do with an image: detect objects in it, or compute its features. */
export type JobKind = 'detect' | 'features' | 'feature-views';

export interface DetectRequest {
  /** 'features': the image's own feature vector; 'feature-views': also its augmented copies' (training). */
  readonly type: JobKind;
  readonly id: number;
  readonly bytes: Uint8Array;
}

export interface DetectTiming {
  /** Decoding and stretching the image to the model input. */
  readonly decodeMs: number;
  /** The model itself: tensor in, detections out. */
  readonly modelMs: number;
  /** Non-max suppression and normalisation. */
  readonly postprocessMs: number;
}

export interface DetectResult {
  readonly predictions: DetectorPrediction[];
  readonly width: number;
  readonly height: number;
  readonly timing: DetectTiming;
}

export interface FeatureResult {
  /** One vector per view, end to end (views x FEATURE_LENGTH values). */
  readonly vectors: Float32Array;
  readonly views: number;
  readonly timing: DetectTiming;
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly warmupMs: number }
  | { readonly type: 'failed'; readonly message: string }
  | ({ readonly type: 'result'; readonly id: number } & DetectResult)
  | ({ readonly type: 'features'; readonly id: number } & FeatureResult)
  | {
      readonly type: 'error';
      readonly id: number;
      readonly kind: 'decode' | 'internal';
      readonly message: string;
    };
