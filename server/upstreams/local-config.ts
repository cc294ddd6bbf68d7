// The embedded local detector as an upstream: its settings, read and checked at boot.
import { fraction, integer, type Env } from '../env-parse.ts';

export interface LocalDetectorConfig {
  readonly workers: number;
  /** Requests allowed to wait for a worker; beyond that the server answers 429. */
  readonly queueLimit: number;
  readonly minProbability: number;
  readonly maxDetections: number;
  readonly iouThreshold: number;
}

export function parseLocalDetectorConfig(env: Env, cores: number): LocalDetectorConfig {
  const workers = integer(env, 'LOCAL_DETECTOR_WORKERS', Math.max(1, cores), 1, 64);
  return {
    workers,
    queueLimit: integer(env, 'LOCAL_DETECTOR_QUEUE_LIMIT', workers * 4, 0, 10_000),
    minProbability: fraction(env, 'LOCAL_DETECTOR_MIN_PROBABILITY', 0.15),
    maxDetections: integer(env, 'LOCAL_DETECTOR_MAX_DETECTIONS', 20, 1, 100),
    iouThreshold: fraction(env, 'LOCAL_DETECTOR_IOU_THRESHOLD', 0.5),
  };
}
