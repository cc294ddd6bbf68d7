// The local training store's settings, read and checked at boot: where it keeps its files, how many bytes
// it may use, and which Custom Vision tier's counts it keeps to (projects, tags and images per project),
// so that a dataset that grows here also fits the Azure project it is pushed to later.
import path from 'node:path';
import { ConfigError, text, type Env } from '../env-parse.ts';

export interface TierLimits {
  readonly projects: number;
  readonly tagsPerProject: number;
  readonly imagesPerProject: number;
}

/** Custom Vision's published counts per tier. */
export const TRAINING_TIER_LIMITS: Readonly<Record<'F0' | 'S0', TierLimits>> = {
  F0: { projects: 2, tagsPerProject: 50, imagesPerProject: 5_000 },
  S0: { projects: 100, tagsPerProject: 500, imagesPerProject: 100_000 },
};

export interface TrainingStoreConfig {
  /** The data directory; the store keeps its database and images under DATA_DIR/training. */
  readonly dataDir: string;
  /** The most bytes the store's images and database may take; undefined: only the disk limits it. */
  readonly maxBytes: number | undefined;
  readonly tier: 'F0' | 'S0';
  readonly limits: TierLimits;
  /** Stored predictions a project keeps, newest first (default MAX_STORED_PREDICTIONS). */
  readonly maxStoredPredictions?: number;
}

/** A camera on the storing route keeps a picture a frame: a project keeps only its newest predictions. */
export const MAX_STORED_PREDICTIONS = 1_000;

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A size such as 500000, 200MB or 2GiB. */
export function parseByteSize(name: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) * unit < 1) {
    throw new ConfigError(
      `${name} must be a size in bytes such as 500000000, 500MB or 2GiB; it is "${raw}".`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

export function parseTrainingStoreConfig(env: Env, cwd = process.cwd()): TrainingStoreConfig {
  const dataDir = path.resolve(cwd, text(env, 'DATA_DIR') ?? 'data');
  const rawMax = text(env, 'DATA_MAX_BYTES');
  const tier = text(env, 'LOCAL_TRAINING_TIER') ?? 'S0';
  if (tier !== 'F0' && tier !== 'S0') {
    throw new ConfigError(`LOCAL_TRAINING_TIER must be F0 or S0 (Custom Vision's tiers); it is "${tier}".`);
  }
  return {
    dataDir,
    maxBytes: rawMax === undefined ? undefined : parseByteSize('DATA_MAX_BYTES', rawMax),
    tier,
    limits: TRAINING_TIER_LIMITS[tier],
  };
}
