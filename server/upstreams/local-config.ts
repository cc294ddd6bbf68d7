// The embedded local detector as an upstream: its settings, read and checked at boot.
import { defaultDecodeBudget } from '../detector/image-probe.ts';
import { fraction, integer, type Env } from '../env-parse.ts';

const MB = 1024 * 1024;

export interface LocalDetectorConfig {
  readonly workers: number;
  /** Requests allowed to wait for a worker; beyond that the server answers 429. */
  readonly queueLimit: number;
  readonly minProbability: number;
  readonly maxDetections: number;
  readonly iouThreshold: number;
  /**
   * Memory the workers' image decoding may hold at once, estimated from each image's header
   * (LOCAL_DETECTOR_DECODE_MEMORY_MB); an image that would exceed it waits for room.
   */
  readonly decodeBudgetBytes: number;
}

export function parseLocalDetectorConfig(env: Env, cores: number): LocalDetectorConfig {
  const workers = integer(env, 'LOCAL_DETECTOR_WORKERS', Math.max(1, cores), 1, 64);
  return {
    workers,
    queueLimit: integer(env, 'LOCAL_DETECTOR_QUEUE_LIMIT', workers * 4, 0, 10_000),
    minProbability: fraction(env, 'LOCAL_DETECTOR_MIN_PROBABILITY', 0.15),
    maxDetections: integer(env, 'LOCAL_DETECTOR_MAX_DETECTIONS', 20, 1, 100),
    iouThreshold: fraction(env, 'LOCAL_DETECTOR_IOU_THRESHOLD', 0.5),
    decodeBudgetBytes:
      integer(
        env,
        'LOCAL_DETECTOR_DECODE_MEMORY_MB',
        Math.round(defaultDecodeBudget(workers) / MB),
        16,
        100_000,
      ) * MB,
  };
}
