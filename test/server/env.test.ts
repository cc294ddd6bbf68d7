import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/env.ts';
import { customVisionOf, localOf } from '../support/upstream-config.ts';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CLOUD = {
  CUSTOM_VISION_PREDICTION_ENDPOINT: 'https://demo-prediction.cognitiveservices.azure.com/',
  CUSTOM_VISION_PREDICTION_KEY: KEY,
  CUSTOM_VISION_PROJECT_ID: '0F0F0F0F-1111-4222-8333-444455556666',
  CUSTOM_VISION_PUBLISHED_NAME: 'Iteration1',
};

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env, 2);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseConfig accepted the configuration');
}

describe('parseConfig', () => {
  it('defaults to the local detector on 127.0.0.1:8080 with one worker per core', () => {
    const config = parseConfig({}, 2);
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(customVisionOf(config)).toBeUndefined();
    expect(localOf(config)).toMatchObject({ workers: 2, queueLimit: 8, maxDetections: 20 });
    // One largest image (96 MiB) beside an ordinary one (16 MiB) for the second worker.
    expect(localOf(config)?.decodeBudgetBytes).toBe(112 * 1024 * 1024);
    expect(localOf(parseConfig({ LOCAL_DETECTOR_DECODE_MEMORY_MB: '300' }, 2))?.decodeBudgetBytes).toBe(
      300 * 1024 * 1024,
    );
    expect(() => parseConfig({ LOCAL_DETECTOR_DECODE_MEMORY_MB: '8' }, 2)).toThrow(
      /LOCAL_DETECTOR_DECODE_MEMORY_MB/,
    );
    expect(config.warnings).toEqual([]);
  });

  it('reads the Custom Vision settings, normalising the endpoint and project id', () => {
    const config = parseConfig({ ...CLOUD, CUSTOM_VISION_PROJECT_TYPE: 'classify', PORT: '9000' }, 2);
    expect(config.port).toBe(9000);
    expect(localOf(config)).toBeUndefined();
    expect(customVisionOf(config)).toEqual({
      kind: 'custom-vision',
      endpoint: 'https://demo-prediction.cognitiveservices.azure.com',
      predictionKey: KEY,
      projectId: '0f0f0f0f-1111-4222-8333-444455556666',
      publishedName: 'Iteration1',
      projectType: 'classify',
      timeoutMs: 10_000,
      retries: 2,
      breaker: { threshold: 5, cooldownMs: 5_000 },
      budget: { nostorePerSecond: 20, storePerSecond: 10, basis: 'Custom Vision S0 tier', marginMs: 30 },
    });
  });

  it.each([
    ['CUSTOM_VISION_PREDICTION_KEY', /CUSTOM_VISION_PREDICTION_KEY is required/],
    ['CUSTOM_VISION_PROJECT_ID', /CUSTOM_VISION_PROJECT_ID is required/],
    ['CUSTOM_VISION_PUBLISHED_NAME', /CUSTOM_VISION_PUBLISHED_NAME is required/],
  ])('refuses an endpoint without %s, naming it', (name, message) => {
    expect(configError({ ...CLOUD, [name]: '' }).message).toMatch(message);
  });

  it('refuses a malformed key without echoing it', () => {
    const secret = `${KEY}"`;
    const error = configError({ ...CLOUD, CUSTOM_VISION_PREDICTION_KEY: secret });
    expect(error.message).toMatch(/CUSTOM_VISION_PREDICTION_KEY is malformed/);
    expect(error.message).not.toContain(KEY);
  });

  it.each([
    [{ CUSTOM_VISION_PROJECT_ID: 'my-project' }, /CUSTOM_VISION_PROJECT_ID must be a GUID/],
    [{ CUSTOM_VISION_PUBLISHED_NAME: 'a/b' }, /CUSTOM_VISION_PUBLISHED_NAME must be/],
    [{ CUSTOM_VISION_PROJECT_TYPE: 'segment' }, /CUSTOM_VISION_PROJECT_TYPE must be "detect" or "classify"/],
    [{ CUSTOM_VISION_PREDICTION_ENDPOINT: 'not a url' }, /CUSTOM_VISION_PREDICTION_ENDPOINT must be a URL/],
    [{ CUSTOM_VISION_PREDICTION_ENDPOINT: 'http://example.com' }, /must use https/],
    [
      {
        CUSTOM_VISION_PREDICTION_ENDPOINT:
          'https://x.cognitiveservices.azure.com/customvision/v3.0/Prediction/',
      },
      /only the scheme and host/,
    ],
    [{ CUSTOM_VISION_TIMEOUT_MS: 'soon' }, /CUSTOM_VISION_TIMEOUT_MS must be a whole number/],
    [{ PORT: '70000' }, /PORT must be a whole number from 0 to 65535/],
  ])('refuses %o with a message that says what is wrong', (override, message) => {
    expect(configError({ ...CLOUD, ...override }).message).toMatch(message);
  });

  it('allows plain http only for a loopback test upstream', () => {
    const config = parseConfig({ ...CLOUD, CUSTOM_VISION_PREDICTION_ENDPOINT: 'http://127.0.0.1:9999' }, 2);
    expect(customVisionOf(config)?.endpoint).toBe('http://127.0.0.1:9999');
  });

  it('warns when Custom Vision settings are given without an endpoint', () => {
    const config = parseConfig({ ...CLOUD, CUSTOM_VISION_PREDICTION_ENDPOINT: '' }, 2);
    expect(localOf(config)).toBeDefined();
    expect(config.warnings.join(' ')).toMatch(/CUSTOM_VISION_PREDICTION_ENDPOINT is not/);
    expect(config.warnings.join(' ')).not.toContain(KEY);
  });

  it('validates the local detector settings', () => {
    expect(configError({ LOCAL_DETECTOR_MIN_PROBABILITY: '2' }).message).toMatch(
      /LOCAL_DETECTOR_MIN_PROBABILITY/,
    );
    expect(configError({ LOCAL_DETECTOR_WORKERS: '0' }).message).toMatch(/LOCAL_DETECTOR_WORKERS/);
    expect(
      localOf(parseConfig({ LOCAL_DETECTOR_WORKERS: '3', LOCAL_DETECTOR_QUEUE_LIMIT: '0' }, 2)),
    ).toMatchObject({
      workers: 3,
      queueLimit: 0,
    });
  });
});

describe('the prediction budget', () => {
  const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const CLOUD = {
    CUSTOM_VISION_PREDICTION_ENDPOINT: 'https://demo.cognitiveservices.azure.com',
    CUSTOM_VISION_PREDICTION_KEY: KEY,
    CUSTOM_VISION_PROJECT_ID: '0f0f0f0f-1111-4222-8333-444455556666',
    CUSTOM_VISION_PUBLISHED_NAME: 'Iteration1',
  };
  it("follows Custom Vision's tiers: S0 by default, F0 on request", () => {
    expect(customVisionOf(parseConfig(CLOUD, 2))?.budget).toEqual({
      nostorePerSecond: 20,
      storePerSecond: 10,
      basis: 'Custom Vision S0 tier',
      marginMs: 30,
    });
    expect(customVisionOf(parseConfig({ ...CLOUD, CUSTOM_VISION_TIER: 'f0' }, 2))?.budget).toMatchObject({
      nostorePerSecond: 2,
      storePerSecond: 2,
    });
  });
  it('takes CUSTOM_VISION_TPS as an override and refuses nonsense', () => {
    expect(customVisionOf(parseConfig({ ...CLOUD, CUSTOM_VISION_TPS: '7.5' }, 2))?.budget).toEqual({
      nostorePerSecond: 7.5,
      storePerSecond: 7.5,
      basis: 'CUSTOM_VISION_TPS',
      marginMs: 30,
    });
    expect(() => parseConfig({ ...CLOUD, CUSTOM_VISION_TPS: '0' }, 2)).toThrow(/CUSTOM_VISION_TPS must be/);
    expect(() => parseConfig({ ...CLOUD, CUSTOM_VISION_TIER: 'S1' }, 2)).toThrow(
      /CUSTOM_VISION_TIER must be "F0" or "S0"/,
    );
  });
  it("takes the budget window's jitter margin from CUSTOM_VISION_BUDGET_MARGIN_MS, within reason", () => {
    const budget = (value: string) =>
      customVisionOf(parseConfig({ ...CLOUD, CUSTOM_VISION_BUDGET_MARGIN_MS: value }, 2))?.budget;
    expect(budget('100')?.marginMs).toBe(100);
    expect(budget('0')?.marginMs).toBe(0);
    expect(() => budget('-5')).toThrow(/CUSTOM_VISION_BUDGET_MARGIN_MS/);
    expect(() => budget('5000')).toThrow(/CUSTOM_VISION_BUDGET_MARGIN_MS/);
  });
});
