// Client for the Sightline server's Custom Vision Training routes (the project /api/config names). The
// server holds the training key, or answers from its local training store; the browser sends the session
// cookie its pairing gave it and never sees a key. Every call returns an outcome rather than throwing, so
// that the outbox can tell "try again later" (offline, 429, 5xx) from "this will never work" (4xx) and
// keep the item either way. Answers are parsed defensively: Custom Vision marks every field readOnly.
// This module imports nothing from Lit: it is a service, not a component.
import { readCustomVisionError } from '../shared/custom-vision-error.ts';
import { isObject, type JsonObject } from '../shared/json.ts';
import { parseRetryAfter } from './prediction-client.ts';
import { NO_HTTP_CACHE, type TrainingInfo } from './server-info.ts';

export type AvailableTraining = Extract<TrainingInfo, { available: true }>;

/** Why a call did not succeed, in the terms a retry decision needs. */
export type TrainingFailure =
  | { readonly kind: 'unreachable'; readonly message: string }
  /** 429, 502, 503, 504: the same call may work later; wait at least `retryAfterMs` when given. */
  | {
      readonly kind: 'busy';
      readonly status: number;
      readonly code: string | undefined;
      readonly message: string;
      readonly retryAfterMs: number | undefined;
    }
  /** Any other error status: the same call will fail the same way (bad input, no right, not found). */
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly code: string | undefined;
      readonly message: string;
    };

export type TrainingOutcome<T> =
  | { readonly ok: true; readonly status: number; readonly value: T }
  | { readonly ok: false; readonly failure: TrainingFailure };

export interface TrainingTag {
  readonly id: string;
  readonly name: string;
  /** Regular, Negative or GeneralProduct. */
  readonly type: string;
  readonly imageCount: number;
}

/** A region in Custom Vision's terms: fractions of the image's width and height, from its top left. */
export interface TrainingRegion {
  readonly tagId: string;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface ImageFileEntry {
  /** Comes back as the result's `sourceUrl`, so it should identify the item (the outbox's client id). */
  readonly name: string;
  readonly contents: Uint8Array;
  readonly tagIds?: readonly string[];
  readonly regions?: readonly TrainingRegion[];
}

export interface PredictionEntry {
  /** The stored prediction's id (`ImagePrediction.id`). */
  readonly id: string;
  readonly tagIds?: readonly string[];
  readonly regions?: readonly TrainingRegion[];
}

/** One image's result in an `ImageCreateSummary`: `OK` and `OKDuplicate` are both success. */
export interface ImageCreateResult {
  readonly sourceUrl: string | undefined;
  readonly status: string;
  readonly imageId: string | undefined;
}

export interface ImageCreateSummary {
  readonly isBatchSuccessful: boolean;
  readonly images: readonly ImageCreateResult[];
}

export const isImageCreated = (result: Pick<ImageCreateResult, 'status'>): boolean =>
  result.status === 'OK' || result.status === 'OKDuplicate';

export interface ProjectInfo {
  readonly id: string;
  readonly name: string;
  readonly domainId: string | undefined;
  /** Multiclass or Multilabel for classification projects; undefined for object detection. */
  readonly classificationType: string | undefined;
}

export interface DomainInfo {
  readonly id: string;
  /** Classification or ObjectDetection. */
  readonly type: string;
  readonly name: string;
}

export interface IterationInfo {
  readonly id: string;
  readonly name: string;
  /** Training, Completed or Failed (and others Custom Vision may add). */
  readonly status: string;
  readonly created: string | undefined;
  readonly trainedAt: string | undefined;
  readonly publishName: string | undefined;
  readonly trainingErrorDetails: string | undefined;
}

export interface IterationPerformance {
  readonly precision: number;
  readonly recall: number;
  readonly averagePrecision: number;
  readonly perTag: readonly {
    readonly id: string;
    readonly name: string;
    readonly precision: number;
    readonly recall: number;
    readonly averagePrecision: number | undefined;
  }[];
}

const DEFAULT_TIMEOUT_MS = 30_000;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const list = (value: unknown): JsonObject[] =>
  Array.isArray(value) ? (value as unknown[]).filter(isObject) : [];

function bytesToBase64(bytes: Uint8Array): string {
  // In slices: String.fromCharCode with a whole image as arguments would overflow the stack.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const regionJson = (r: TrainingRegion) => ({
  tagId: r.tagId,
  left: r.left,
  top: r.top,
  width: r.width,
  height: r.height,
});

export function parseImageCreateSummary(json: unknown): ImageCreateSummary {
  const body = isObject(json) ? json : {};
  return {
    isBatchSuccessful: body['isBatchSuccessful'] === true,
    images: list(body['images']).map((entry) => {
      const image = isObject(entry['image']) ? entry['image'] : {};
      return {
        sourceUrl: str(entry['sourceUrl']),
        status: str(entry['status']) ?? 'ErrorUnknown',
        imageId: str(image['id']),
      };
    }),
  };
}

function parseTag(raw: JsonObject): TrainingTag | undefined {
  const id = str(raw['id']);
  const name = str(raw['name']);
  if (id === undefined || name === undefined) return undefined;
  return { id, name, type: str(raw['type']) ?? 'Regular', imageCount: num(raw['imageCount']) };
}

function parseIteration(raw: JsonObject): IterationInfo | undefined {
  const id = str(raw['id']);
  if (id === undefined) return undefined;
  return {
    id,
    name: str(raw['name']) ?? id,
    status: str(raw['status']) ?? 'Unknown',
    created: str(raw['created']),
    trainedAt: str(raw['trainedAt']),
    publishName: str(raw['publishName']) || undefined,
    trainingErrorDetails: str(raw['trainingErrorDetails']) || undefined,
  };
}

function parsePerformance(json: unknown): IterationPerformance {
  const body = isObject(json) ? json : {};
  return {
    precision: num(body['precision']),
    recall: num(body['recall']),
    averagePrecision: num(body['averagePrecision']),
    perTag: list(body['perTagPerformance']).map((tag) => ({
      id: str(tag['id']) ?? '',
      name: str(tag['name']) ?? '',
      precision: num(tag['precision']),
      recall: num(tag['recall']),
      averagePrecision: typeof tag['averagePrecision'] === 'number' ? tag['averagePrecision'] : undefined,
    })),
  };
}

export interface TrainingClientOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/** The training routes of the one project the server offers, as the official SDK names them. */
export class TrainingClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(training: AvailableTraining, options: TrainingClientOptions = {}) {
    this.#base = training.basePath;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? (() => Date.now());
  }

  /** The routes' root, …/training (the project path minus /projects/{id}), for domain lookups. */
  get #trainingRoot(): string {
    return this.#base.replace(/\/projects\/[^/]+$/, '');
  }

  getProject(signal?: AbortSignal): Promise<TrainingOutcome<ProjectInfo>> {
    return this.#call('GET', '', undefined, signal, (json) => {
      const body = isObject(json) ? json : {};
      const settings = isObject(body['settings']) ? body['settings'] : {};
      return {
        id: str(body['id']) ?? '',
        name: str(body['name']) ?? '',
        domainId: str(settings['domainId']),
        classificationType: str(settings['classificationType']) ?? undefined,
      };
    });
  }

  getDomain(domainId: string, signal?: AbortSignal): Promise<TrainingOutcome<DomainInfo>> {
    return this.#call(
      'GET',
      `${this.#trainingRoot}/domains/${encodeURIComponent(domainId)}`,
      undefined,
      signal,
      (json) => {
        const body = isObject(json) ? json : {};
        return {
          id: str(body['id']) ?? domainId,
          type: str(body['type']) ?? '',
          name: str(body['name']) ?? '',
        };
      },
      true,
    );
  }

  getTags(signal?: AbortSignal): Promise<TrainingOutcome<TrainingTag[]>> {
    return this.#call('GET', '/tags', undefined, signal, (json) =>
      list(json).flatMap((raw) => parseTag(raw) ?? []),
    );
  }

  createTag(name: string, signal?: AbortSignal): Promise<TrainingOutcome<TrainingTag>> {
    return this.#call('POST', `/tags?name=${encodeURIComponent(name)}`, undefined, signal, (json) => {
      const tag = isObject(json) ? parseTag(json) : undefined;
      return tag ?? { id: '', name, type: 'Regular', imageCount: 0 };
    });
  }

  /** Uploads images with their tags and regions (JSON, base64): 200 when all were created, else 207. */
  createImagesFromFiles(
    images: readonly ImageFileEntry[],
    signal?: AbortSignal,
  ): Promise<TrainingOutcome<ImageCreateSummary>> {
    const body = {
      images: images.map((image) => ({
        name: image.name,
        contents: bytesToBase64(image.contents),
        tagIds: image.tagIds ?? [],
        regions: (image.regions ?? []).map(regionJson),
      })),
    };
    return this.#call('POST', '/images/files', body, signal, parseImageCreateSummary);
  }

  /** Promotes stored predictions to training images by their ids (no bytes sent again). */
  createImagesFromPredictions(
    images: readonly PredictionEntry[],
    signal?: AbortSignal,
  ): Promise<TrainingOutcome<ImageCreateSummary>> {
    const body = {
      images: images.map((image) => ({
        id: image.id,
        tagIds: image.tagIds ?? [],
        regions: (image.regions ?? []).map(regionJson),
      })),
    };
    return this.#call('POST', '/images/predictions', body, signal, parseImageCreateSummary);
  }

  getIterations(signal?: AbortSignal): Promise<TrainingOutcome<IterationInfo[]>> {
    return this.#call('GET', '/iterations', undefined, signal, (json) =>
      list(json).flatMap((raw) => parseIteration(raw) ?? []),
    );
  }

  getIteration(iterationId: string, signal?: AbortSignal): Promise<TrainingOutcome<IterationInfo>> {
    return this.#call('GET', `/iterations/${encodeURIComponent(iterationId)}`, undefined, signal, (json) => {
      const iteration = isObject(json) ? parseIteration(json) : undefined;
      if (!iteration) throw new Error('the iteration answer has no id');
      return iteration;
    });
  }

  getIterationPerformance(
    iterationId: string,
    threshold = 0.5,
    overlapThreshold = 0.3,
    signal?: AbortSignal,
  ): Promise<TrainingOutcome<IterationPerformance>> {
    const query = `threshold=${threshold}&overlapThreshold=${overlapThreshold}`;
    return this.#call(
      'GET',
      `/iterations/${encodeURIComponent(iterationId)}/performance?${query}`,
      undefined,
      signal,
      parsePerformance,
    );
  }

  /** Starts training: the answer is the new iteration, status Training. */
  trainProject(signal?: AbortSignal): Promise<TrainingOutcome<IterationInfo>> {
    return this.#call('POST', '/train', undefined, signal, (json) => {
      const iteration = isObject(json) ? parseIteration(json) : undefined;
      if (!iteration) throw new Error('the train answer has no iteration id');
      return iteration;
    });
  }

  publishIteration(
    iterationId: string,
    publishName: string,
    predictionId: string,
    signal?: AbortSignal,
  ): Promise<TrainingOutcome<boolean>> {
    const query = `publishName=${encodeURIComponent(publishName)}&predictionId=${encodeURIComponent(predictionId)}`;
    return this.#call(
      'POST',
      `/iterations/${encodeURIComponent(iterationId)}/publish?${query}`,
      undefined,
      signal,
      (json) => json === true,
    );
  }

  async #call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    parse: (json: unknown) => T,
    absolute = false,
  ): Promise<TrainingOutcome<T>> {
    const url = absolute ? path : `${this.#base}${path}`;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headers:
          body === undefined
            ? { Accept: 'application/json' }
            : { Accept: 'application/json', 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        credentials: 'same-origin',
        ...NO_HTTP_CACHE,
      });
    } catch (error) {
      if (signal?.aborted) throw error; // the caller's own abort is not a failure to report
      return { ok: false, failure: { kind: 'unreachable', message: "Can't reach the Sightline server." } };
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw error;
      return {
        ok: false,
        failure: { kind: 'unreachable', message: 'The server stopped answering mid-way.' },
      };
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    if (response.ok) {
      try {
        return { ok: true, status: response.status, value: parse(json) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return {
          ok: false,
          failure: { kind: 'refused', status: response.status, code: undefined, message },
        };
      }
    }
    const { code, message } = readCustomVisionError(json);
    const status = response.status;
    const said = message ?? `The server answered HTTP ${status}.`;
    if (status === 429 || status === 502 || status === 503 || status === 504) {
      const serverDate = response.headers.get('date');
      const retryAfterMs = parseRetryAfter(
        response.headers.get('retry-after'),
        this.#now(),
        serverDate === null ? undefined : Date.parse(serverDate),
      );
      return { ok: false, failure: { kind: 'busy', status, code, message: said, retryAfterMs } };
    }
    return { ok: false, failure: { kind: 'refused', status, code, message: said } };
  }
}
