// The training settings, checked at start like the others: every message names the variable and never
// quotes the key.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/env.ts';

const KEY = 'b1b2c3d4e5f60718293a4b5c6d7e8f91';
const TRAINING = {
  CUSTOM_VISION_TRAINING_ENDPOINT: 'https://demo.cognitiveservices.azure.com/',
  CUSTOM_VISION_TRAINING_KEY: KEY,
  CUSTOM_VISION_PROJECT_ID: '0F0F0F0F-1111-4222-8333-444455556666',
};
const RESOURCE =
  '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/demo-prediction';

function configError(env: Record<string, string>): string {
  try {
    parseConfig(env, 2);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('parseConfig accepted the configuration');
}

describe('the training settings', () => {
  it('forward nothing unless the training endpoint is set, with a warning for strays', () => {
    expect(parseConfig({}, 2).training.kind).not.toBe('custom-vision');
    const { training, warnings } = parseConfig({ CUSTOM_VISION_TRAINING_KEY: KEY }, 2);
    expect(training.kind).not.toBe('custom-vision');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^CUSTOM_VISION_TRAINING_KEY set but CUSTOM_VISION_TRAINING_ENDPOINT is not/);
    expect(warnings[0]).not.toContain(KEY);
  });

  it('read the endpoint, key, project, prediction resource and tier', () => {
    const config = parseConfig(
      { ...TRAINING, CUSTOM_VISION_PREDICTION_RESOURCE_ID: RESOURCE, CUSTOM_VISION_TRAINING_TIER: 'f0' },
      2,
    );
    expect(config.training).toMatchObject({
      kind: 'custom-vision',
      endpoint: 'https://demo.cognitiveservices.azure.com',
      trainingKey: KEY,
      projectId: '0f0f0f0f-1111-4222-8333-444455556666',
      predictionResourceId: RESOURCE,
      timeoutMs: 10_000,
      budget: { nostorePerSecond: 10, storePerSecond: 2, basis: 'Custom Vision training F0 tier' },
    });
    expect(parseConfig(TRAINING, 2).training).toMatchObject({
      budget: { nostorePerSecond: 10, storePerSecond: 10, basis: 'Custom Vision training S0 tier' },
    });
    expect(parseConfig({ ...TRAINING, CUSTOM_VISION_TRAINING_TPS: '4' }, 2).training).toMatchObject({
      budget: { nostorePerSecond: 4, storePerSecond: 4 },
    });
  });

  it('stop the start with a message that names the variable, never the key', () => {
    expect(
      configError({ CUSTOM_VISION_TRAINING_ENDPOINT: TRAINING.CUSTOM_VISION_TRAINING_ENDPOINT }),
    ).toMatch(/CUSTOM_VISION_TRAINING_KEY is required/);
    const malformed = configError({ ...TRAINING, CUSTOM_VISION_TRAINING_KEY: `"${KEY}"` });
    expect(malformed).toMatch(/CUSTOM_VISION_TRAINING_KEY is malformed.*34 characters/);
    expect(malformed).not.toContain(KEY);
    const same = configError({ ...TRAINING, CUSTOM_VISION_PREDICTION_KEY: KEY });
    expect(same).toMatch(/CUSTOM_VISION_TRAINING_KEY is the same as CUSTOM_VISION_PREDICTION_KEY/);
    expect(same).not.toContain(KEY);
    expect(configError({ ...TRAINING, CUSTOM_VISION_PROJECT_ID: 'my project' })).toMatch(
      /CUSTOM_VISION_PROJECT_ID must be a GUID/,
    );
    expect(configError({ ...TRAINING, CUSTOM_VISION_TRAINING_ENDPOINT: 'http://example.com' })).toMatch(
      /CUSTOM_VISION_TRAINING_ENDPOINT must use https/,
    );
    expect(
      configError({
        ...TRAINING,
        CUSTOM_VISION_TRAINING_ENDPOINT: 'https://x.azure.com/customvision/v3.3/training',
      }),
    ).toMatch(/CUSTOM_VISION_TRAINING_ENDPOINT must be only the scheme and host.*\/training\//);
    expect(configError({ ...TRAINING, CUSTOM_VISION_PREDICTION_RESOURCE_ID: 'demo-prediction' })).toMatch(
      /CUSTOM_VISION_PREDICTION_RESOURCE_ID must be the prediction resource's ARM id/,
    );
    expect(configError({ ...TRAINING, CUSTOM_VISION_TRAINING_TIER: 'S1' })).toMatch(
      /CUSTOM_VISION_TRAINING_TIER must be "F0" or "S0"/,
    );
    expect(configError({ ...TRAINING, CUSTOM_VISION_TRAINING_TPS: '0' })).toMatch(
      /CUSTOM_VISION_TRAINING_TPS/,
    );
  });
});
