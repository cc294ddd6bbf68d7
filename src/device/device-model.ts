// "Run on this device": the chosen served model's export fetched from the server (and kept in Cache
// Storage, so the installed app runs it offline), loaded in the dedicated inference worker, and offered to
// the live loop as a prediction sender in place of the server's. Loaded only when device mode is chosen.
import { releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { PredictOutcome } from '../api/prediction-client.ts';
import type { InferenceWorkerApi, LoadedModelInfo } from './inference-api.ts';

const PACKAGE_CACHE = 'sightline-model-packages';

/** Which of the server's models to run: its project id and published name (see /api/config). */
export interface DeviceModelChoice {
  readonly projectId: string;
  readonly publishedName: string;
}

/**
 * The package's address for one model, also its key in Cache Storage: a device that ran several models
 * keeps each one, and switching between them offline runs the kept copy of the one chosen.
 */
export const modelPackageUrl = (model: DeviceModelChoice): string =>
  `/api/model-package?${new URLSearchParams({ projectId: model.projectId.toLowerCase(), publishedName: model.publishedName }).toString()}`;
/** Detections kept per frame on the device, as the server's export path keeps them. */
const LIMITS = { minProbability: 0.01, maxDetections: 64 };

/** Why the device cannot run the model, for people: what to do about it. */
export class DeviceModelError extends Error {
  override name = 'DeviceModelError';
}

/**
 * The export zip: from the server when it answers (revalidated against the kept copy by its ETag), else
 * the copy kept from last time, so a device that loaded the model once runs it with the server gone.
 */
export async function fetchModelPackage(
  model: DeviceModelChoice,
  fetchImpl: typeof fetch = fetch,
): Promise<ArrayBuffer> {
  const url = modelPackageUrl(model);
  const cache = 'caches' in globalThis ? await caches.open(PACKAGE_CACHE) : undefined;
  const kept = await cache?.match(url);
  const etag = kept?.headers.get('etag');
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: etag ? { 'If-None-Match': etag } : {},
      cache: 'no-store',
    });
  } catch (error) {
    if (kept) return kept.arrayBuffer();
    throw new DeviceModelError(
      `The model could not be fetched (${(error as Error).message}) and none is kept on this device yet.`,
    );
  }
  if (response.status === 304 && kept) return kept.arrayBuffer();
  if (response.ok) {
    await cache?.put(url, response.clone());
    return response.arrayBuffer();
  }
  if (kept && response.status >= 500) return kept.arrayBuffer();
  let message = `the server answered ${response.status}`;
  try {
    message = ((await response.json()) as { message?: string }).message ?? message;
  } catch {
    // Not JSON: the status says enough.
  }
  throw new DeviceModelError(`This model cannot run on the device: ${message}`);
}

/** `?backend=webgpu|webgl|wasm` pins the backend (benchmarks, and screens known to do better on one). */
function backendFromUrl(): string | undefined {
  const wanted = new URLSearchParams(globalThis.location?.search ?? '').get('backend');
  return wanted === 'webgpu' || wanted === 'webgl' || wanted === 'wasm' ? wanted : undefined;
}

export interface DeviceModelStatus {
  readonly info: LoadedModelInfo;
  /** The last frame's inference time in the worker, ms. */
  readonly lastInferenceMs: number | undefined;
}

export class DeviceModel {
  private lastInferenceMs: number | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly remote: Remote<InferenceWorkerApi>,
    readonly info: LoadedModelInfo,
  ) {}

  /** Fetches (or finds kept) the chosen model and loads it in a new inference worker. */
  static async open(model: DeviceModelChoice, backend = backendFromUrl()): Promise<DeviceModel> {
    const zip = await fetchModelPackage(model);
    const worker = new Worker(new URL('./inference.worker.ts', import.meta.url), {
      type: 'module',
      name: 'sightline-inference',
    });
    const remote = wrap<InferenceWorkerApi>(worker);
    try {
      const info = await remote.load(transfer(zip, [zip]), model.projectId, backend);
      return new DeviceModel(worker, remote, info);
    } catch (error) {
      remote[releaseProxy]();
      worker.terminate();
      throw new DeviceModelError((error as Error).message);
    }
  }

  status(): DeviceModelStatus {
    return { info: this.info, lastInferenceMs: this.lastInferenceMs };
  }

  /**
   * The live loop's sender: the frame's JPEG goes to the inference worker, not to the server. It is
   * copied there (about 30 KB), not transferred: the page keeps the same bytes for the history entry.
   */
  readonly send = async (
    _path: string,
    image: ArrayBuffer,
    options: { signal: AbortSignal },
  ): Promise<PredictOutcome> => {
    options.signal.throwIfAborted();
    try {
      const answer = await this.remote.predict(image, LIMITS);
      this.lastInferenceMs = answer.inferenceMs;
      return { ok: true, prediction: answer.prediction, status: 200 };
    } catch (error) {
      return {
        ok: false,
        failure: {
          kind: 'server-error',
          status: 0,
          message: `On-device inference failed: ${(error as Error).message}`,
        },
      };
    }
  };

  dispose(): void {
    this.remote[releaseProxy]();
    this.worker.terminate();
  }
}
