// Where frames are answered in each mode, and the mode as a setting and a URL parameter.
import { describe, expect, it } from 'vitest';
import type { PredictOutcome } from '../../../src/api/prediction-client.ts';
import type { DeviceModelChoice } from '../../../src/device/device-model.ts';
import {
  InferenceRouter,
  type DeviceModelLike,
  type InferenceMode,
} from '../../../src/device/inference-router.ts';
import { DEFAULT_SETTINGS, sanitizeSettings, settingsFromUrl } from '../../../src/settings/settings.ts';

const prediction = (iteration: string) => ({
  id: 'i',
  project: 'p',
  iteration,
  created: '',
  predictions: [],
});
const answer = (iteration: string): PredictOutcome => ({
  ok: true,
  prediction: prediction(iteration),
  status: 200,
});
const options = { signal: new AbortController().signal, timeoutMs: 1000 };

function setup(
  mode: InferenceMode,
  cloud: () => PredictOutcome,
  model: () => DeviceModelChoice = () => ({ projectId: 'project', publishedName: 'name' }),
) {
  const calls = { cloud: 0, device: 0, opened: 0 };
  const openedModels: DeviceModelChoice[] = [];
  let disposed = 0;
  const device: DeviceModelLike = {
    send: () => {
      calls.device++;
      return Promise.resolve(answer('device'));
    },
    status: () => ({
      info: { backend: 'wasm', summary: '', projectType: 'detect', labels: [], loadMs: 5 },
      lastInferenceMs: 7,
    }),
    dispose: () => void disposed++,
  };
  const router = new InferenceRouter(
    () => mode,
    model,
    () => {
      calls.cloud++;
      return Promise.resolve(cloud());
    },
    (chosen) => {
      calls.opened++;
      openedModels.push(chosen);
      return Promise.resolve(device);
    },
  );
  return { router, calls, openedModels, disposed: () => disposed };
}

describe('InferenceRouter', () => {
  it('cloud: the server answers and no device model is loaded', async () => {
    const { router, calls } = setup('cloud', () => answer('cloud'));
    const outcome = await router.send('/p', new ArrayBuffer(4), options);
    expect(outcome.ok && outcome.prediction.iteration).toBe('cloud');
    expect(calls).toEqual({ cloud: 1, device: 0, opened: 0 });
    expect(router.figures()).toBeUndefined();
  });

  it('device: the model on the device answers, loaded once, and the HUD gets its backend and time', async () => {
    const { router, calls } = setup('device', () => answer('cloud'));
    await router.send('/p', new ArrayBuffer(4), options);
    const outcome = await router.send('/p', new ArrayBuffer(4), options);
    expect(outcome.ok && outcome.prediction.iteration).toBe('device');
    expect(calls).toEqual({ cloud: 0, device: 2, opened: 1 });
    expect(router.figures()).toEqual({ backend: 'device · wasm', inferenceMs: 7, loadMs: 5 });
  });

  it('device: another model chosen is loaded in place of the one loaded, which is let go', async () => {
    let chosen: DeviceModelChoice = { projectId: 'a', publishedName: 'first' };
    const { router, calls, openedModels, disposed } = setup(
      'device',
      () => answer('cloud'),
      () => chosen,
    );
    await router.send('/p', new ArrayBuffer(4), options);
    await router.send('/p', new ArrayBuffer(4), options);
    expect(calls.opened).toBe(1);
    chosen = { projectId: 'b', publishedName: 'second' };
    const outcome = await router.send('/p', new ArrayBuffer(4), options);
    expect(outcome.ok).toBe(true);
    expect(openedModels).toEqual([
      { projectId: 'a', publishedName: 'first' },
      { projectId: 'b', publishedName: 'second' },
    ]);
    expect(disposed()).toBe(1);
  });

  it('auto: the server while it answers, the device when the network is gone', async () => {
    let online = true;
    const { router, calls } = setup('auto', () =>
      online
        ? answer('cloud')
        : { ok: false, failure: { kind: 'network', message: 'Cannot reach the Sightline server' } },
    );
    expect(router.figures()?.backend).toBe('cloud (device loading as fallback)');
    const first = await router.send('/p', new ArrayBuffer(4), options);
    expect(first.ok && first.prediction.iteration).toBe('cloud');
    // The device model is loaded while the server answers, so that it is ready when the server is not.
    await expect.poll(() => router.figures()?.backend).toBe('cloud (device ready as fallback)');
    expect(calls.opened).toBe(1);
    online = false;
    const second = await router.send('/p', new ArrayBuffer(4), options);
    expect(second.ok && second.prediction.iteration).toBe('device');
    expect(calls.cloud).toBe(2);
    expect(calls.device).toBe(1);
    expect(router.figures()?.backend).toBe('device · wasm');
    online = true;
    await router.send('/p', new ArrayBuffer(4), options);
    expect(router.figures()?.backend).toBe('cloud (device ready as fallback)');
  });

  it("auto: a refusal from a server that is there (429) stays the server's answer", async () => {
    const { router, calls } = setup('auto', () => ({
      ok: false,
      failure: { kind: 'rate-limited', message: 'slow down' },
    }));
    const outcome = await router.send('/p', new ArrayBuffer(4), options);
    expect(!outcome.ok && outcome.failure.kind).toBe('rate-limited');
    expect(calls.device).toBe(0);
  });
});

describe('the mode setting', () => {
  it('defaults to cloud, and takes ?mode=device|auto|cloud, ignoring anything else', () => {
    expect(DEFAULT_SETTINGS.inferenceMode).toBe('cloud');
    expect(settingsFromUrl('?mode=device', DEFAULT_SETTINGS).inferenceMode).toBe('device');
    expect(settingsFromUrl('?mode=auto', DEFAULT_SETTINGS).inferenceMode).toBe('auto');
    expect(settingsFromUrl('?mode=gpu', DEFAULT_SETTINGS).inferenceMode).toBe('cloud');
    expect(sanitizeSettings({ inferenceMode: 'device' }).inferenceMode).toBe('device');
    expect(sanitizeSettings({ inferenceMode: 42 }).inferenceMode).toBe('cloud');
  });
});

describe('the model setting', () => {
  it("is unset by default (the server's first model), and takes ?model=<projectId>/<publishedName>", () => {
    expect(DEFAULT_SETTINGS.model).toBeUndefined();
    expect(settingsFromUrl('?model=0f0f-aa%2Fboxes', DEFAULT_SETTINGS).model).toBe('0f0f-aa/boxes');
    expect(settingsFromUrl('?model=no-slash', DEFAULT_SETTINGS).model).toBeUndefined();
    expect(sanitizeSettings({ model: 'p/n' }).model).toBe('p/n');
    expect(sanitizeSettings({ model: 7 }).model).toBeUndefined();
  });
});
