// The local training store's settings, checked at start like the others: DATA_DIR (default ./data),
// DATA_MAX_BYTES in bytes or with a unit, the tier's counts, and LOCAL_TRAINING=off.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/env.ts';
import { parseTrainingStoreConfig } from '../../server/training-store/config.ts';

function configError(env: Record<string, string>): string {
  try {
    parseConfig(env, 2);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('parseConfig accepted the configuration');
}

describe('the local training store settings', () => {
  it('default to ./data, no byte cap and the S0 counts, when no training endpoint is set', () => {
    expect(parseConfig({}, 2).training).toEqual({
      kind: 'local',
      dataDir: path.resolve('data'),
      maxBytes: undefined,
      tier: 'S0',
      limits: { projects: 100, tagsPerProject: 500, imagesPerProject: 100_000 },
    });
  });

  it('read DATA_DIR against the working directory, sizes with units, and the F0 tier', () => {
    const config = parseTrainingStoreConfig(
      { DATA_DIR: 'frames', DATA_MAX_BYTES: '2GiB', LOCAL_TRAINING_TIER: 'F0' },
      '/srv/sightline',
    );
    expect(config).toMatchObject({ dataDir: '/srv/sightline/frames', maxBytes: 2 * 1024 ** 3, tier: 'F0' });
    expect(config.limits).toEqual({ projects: 2, tagsPerProject: 50, imagesPerProject: 5_000 });
    expect(parseTrainingStoreConfig({ DATA_MAX_BYTES: '500MB' }).maxBytes).toBe(500_000_000);
    expect(parseTrainingStoreConfig({ DATA_MAX_BYTES: '1234' }).maxBytes).toBe(1234);
  });

  it('refuse bad values, naming the variable', () => {
    expect(configError({ DATA_MAX_BYTES: 'lots' })).toMatch(/^DATA_MAX_BYTES must be a size in bytes/);
    expect(configError({ DATA_MAX_BYTES: '0' })).toMatch(/^DATA_MAX_BYTES must be a size/);
    expect(configError({ LOCAL_TRAINING_TIER: 'S1' })).toMatch(/^LOCAL_TRAINING_TIER must be F0 or S0/);
    expect(configError({ LOCAL_TRAINING: 'maybe' })).toMatch(/^LOCAL_TRAINING must be on or off/);
  });

  it('turn the store off with LOCAL_TRAINING=off', () => {
    expect(parseConfig({ LOCAL_TRAINING: 'off' }, 2).training).toEqual({ kind: 'none' });
  });
});
