// Where each frame is answered: by the server (cloud mode), by the model on this device (device mode), or
// by the server while it answers and the device when the server or the network is gone (auto). The
// device's runtime and model are imported and loaded only when a mode needs them.
import type { PredictionSender } from '../pipeline/detection-loop.ts';
import type { DeviceModel, DeviceModelChoice } from './device-model.ts';

/** What the router uses of a loaded device model. */
export type DeviceModelLike = Pick<DeviceModel, 'send' | 'status' | 'dispose'>;

export const INFERENCE_MODES = ['cloud', 'device', 'auto'] as const;
export type InferenceMode = (typeof INFERENCE_MODES)[number];

/** What the HUD shows of on-device inference. */
export interface InferenceFigures {
  /** e.g. "device · webgl", "cloud", or why the device cannot run the model. */
  readonly backend: string;
  readonly inferenceMs: number | undefined;
  /** How long the model took to load (package read, backend started, first run), ms. */
  readonly loadMs?: number;
}

/** How long after a failed load the device model is tried again. */
const RETRY_LOAD_MS = 10_000;

export class InferenceRouter {
  private device: Promise<DeviceModelLike> | undefined;
  private loaded: DeviceModelLike | undefined;
  /** Which model `device` and `loaded` are (project id and published name). */
  private deviceKey: string | undefined;
  private failure: string | undefined;
  private failedAt = 0;
  private lastWasDevice = false;

  constructor(
    private readonly mode: () => InferenceMode,
    /** The model chosen now; another choice loads that one in place of the one loaded. */
    private readonly model: () => DeviceModelChoice,
    private readonly cloud: PredictionSender,
    /** Loads the device model; the runtime is imported only when this first runs. */
    private readonly openDevice: (model: DeviceModelChoice) => Promise<DeviceModelLike> = async (model) =>
      (await import('./device-model.ts')).DeviceModel.open(model),
  ) {}

  /** Loads the device model now (device and auto modes), so it is kept for when the server is gone. */
  prepare(): void {
    if (this.mode() !== 'cloud') void this.deviceModel().catch(() => undefined);
  }

  private deviceModel(): Promise<DeviceModelLike> {
    const model = this.model();
    const key = `${model.projectId.toLowerCase()}/${model.publishedName}`;
    if (key !== this.deviceKey) {
      // Another model chosen: the one loaded (or loading) is let go, and a failure was the other's.
      this.dispose();
      this.failure = undefined;
      this.deviceKey = key;
    }
    // After a failure the next try waits a while: every frame would otherwise fetch and load again.
    if (!this.device && this.failure && Date.now() - this.failedAt < RETRY_LOAD_MS) {
      return Promise.reject(new Error(this.failure));
    }
    this.device ??= this.openDevice(model).then(
      (loaded) => {
        // Chosen away from while it loaded: let go at once, and this frame goes unanswered.
        if (this.deviceKey !== key) {
          loaded.dispose();
          throw new Error('another model was chosen');
        }
        this.loaded = loaded;
        this.failure = undefined;
        return loaded;
      },
      (error: Error) => {
        if (this.deviceKey !== key) throw error;
        // The next frame tries again (the server may be back, or the model published).
        this.device = undefined;
        this.failure = error.message;
        this.failedAt = Date.now();
        throw error;
      },
    );
    return this.device;
  }

  readonly send: PredictionSender = async (path, image, options) => {
    const mode = this.mode();
    if (mode === 'cloud') {
      this.lastWasDevice = false;
      return this.cloud(path, image, options);
    }
    if (mode === 'auto') {
      // The bytes are sent as a copy: the device may still need them if the server does not answer.
      const outcome = await this.cloud(path, image.slice(0), options);
      const serverGone = !outcome.ok && ['network', 'timeout', 'unavailable'].includes(outcome.failure.kind);
      if (!serverGone) {
        this.lastWasDevice = false;
        this.prepare();
        return outcome;
      }
    }
    let device: DeviceModelLike;
    try {
      device = await this.deviceModel();
    } catch (error) {
      return { ok: false, failure: { kind: 'unavailable', message: (error as Error).message } };
    }
    this.lastWasDevice = true;
    return device.send(path, image, options);
  };

  figures(): InferenceFigures | undefined {
    const mode = this.mode();
    if (mode === 'cloud') return undefined;
    if (this.loaded && (mode === 'device' || this.lastWasDevice)) {
      const { info, lastInferenceMs } = this.loaded.status();
      const wasm = info.wasmFeatures ? ` (${info.wasmFeatures})` : '';
      return {
        backend: `device · ${info.backend}${wasm}`,
        inferenceMs: lastInferenceMs,
        loadMs: info.loadMs,
      };
    }
    if (this.failure) return { backend: `device unavailable: ${this.failure}`, inferenceMs: undefined };
    const device = this.loaded ? 'ready' : 'loading';
    return {
      backend: mode === 'auto' ? `cloud (device ${device} as fallback)` : 'device · loading',
      inferenceMs: undefined,
    };
  }

  dispose(): void {
    this.loaded?.dispose();
    this.loaded = undefined;
    this.device = undefined;
  }
}
