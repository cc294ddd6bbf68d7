// A Custom Vision export served by this server as an upstream: its settings, read and checked at boot.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, fraction, integer, text, type Env } from '../env-parse.ts';
import {
  parseCustomVisionTrainingConfig,
  type CustomVisionTrainingConfig,
} from './custom-vision-training-config.ts';
import type { ExportPlatform } from './export-training.ts';

export interface ExportUpstreamConfig {
  /** The export zip, or a folder of them (every export there is served, see export-selection.ts). */
  readonly source: string;
  readonly sourceIsFolder: boolean;
  /** Worker threads and wait queue for all the exports together (shared out by shareWorkers). */
  readonly workers: number;
  readonly queueLimit: number;
  readonly minProbability: number;
  readonly maxDetections: number;
  /** Served under these when set (CUSTOM_VISION_PROJECT_ID, CUSTOM_VISION_PUBLISHED_NAME). */
  readonly projectId?: string;
  readonly publishedName?: string;
  /**
   * The Training API, when its endpoint and key are set: the project's tag ids come from it, and with a
   * folder and CUSTOM_VISION_PUBLISHED_NAME the published iteration's export is fetched into the folder.
   */
  readonly training?: CustomVisionTrainingConfig;
  /** The export format fetched (EXPORT_PLATFORM): ONNX, or TensorFlowJs. */
  readonly platform: ExportPlatform;
  /** How often the published iteration is checked for a newer one to fetch and serve, ms; 0: never. */
  readonly refreshMs: number;
}

/**
 * Whether the server fetches the published iteration's export into the folder itself: with the Training
 * API, a folder and the published name to look for.
 */
export const fetchesPublishedIteration = (
  config: ExportUpstreamConfig,
): config is ExportUpstreamConfig & { training: CustomVisionTrainingConfig; publishedName: string } =>
  config.training !== undefined && config.sourceIsFolder && config.publishedName !== undefined;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseExportConfig(env: Env, source: string, cores: number): ExportUpstreamConfig {
  const resolved = path.resolve(source);
  if (!existsSync(resolved)) {
    throw new ConfigError(
      `CUSTOM_VISION_EXPORT: ${resolved} does not exist; give the path of an export zip from Custom Vision (ONNX or TensorFlowJs) or of a folder of them.`,
    );
  }
  const projectId = text(env, 'CUSTOM_VISION_PROJECT_ID');
  if (projectId !== undefined && !GUID.test(projectId)) {
    throw new ConfigError(
      'CUSTOM_VISION_PROJECT_ID must be the project GUID (from the Custom Vision portal).',
    );
  }
  const publishedName = text(env, 'CUSTOM_VISION_PUBLISHED_NAME');
  const workers = integer(env, 'EXPORT_WORKERS', Math.max(1, cores), 1, 64);
  const trainingEndpoint = text(env, 'CUSTOM_VISION_TRAINING_ENDPOINT');
  const platform = text(env, 'EXPORT_PLATFORM') ?? 'onnx';
  if (platform !== 'onnx' && platform !== 'tfjs') {
    throw new ConfigError(`EXPORT_PLATFORM must be onnx or tfjs; it is "${platform}".`);
  }
  return {
    source: resolved,
    sourceIsFolder: statSync(resolved).isDirectory(),
    workers,
    queueLimit: integer(env, 'EXPORT_QUEUE_LIMIT', workers * 4, 0, 10_000),
    minProbability: fraction(env, 'EXPORT_MIN_PROBABILITY', 0.01),
    maxDetections: integer(env, 'EXPORT_MAX_DETECTIONS', 64, 1, 200),
    ...(projectId !== undefined ? { projectId: projectId.toLowerCase() } : {}),
    ...(publishedName !== undefined ? { publishedName } : {}),
    ...(trainingEndpoint !== undefined
      ? { training: parseCustomVisionTrainingConfig(env, trainingEndpoint) }
      : {}),
    platform: platform === 'onnx' ? 'ONNX' : 'TensorFlowJs',
    refreshMs: integer(env, 'EXPORT_REFRESH_SECONDS', 600, 0, 86_400) * 1000,
  };
}
