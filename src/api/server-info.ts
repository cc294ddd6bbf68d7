// Typed client for the Sightline server's info routes (`GET /api/config`, `GET /api/health`).
// The parse functions are pure and exported on their own so they can be unit-tested without a server:
// the JSON comes from another process (possibly an older or newer build), so nothing in it is trusted.
// This module imports nothing from Lit: it is a service, not a component.
import {
  DEFAULT_PREDICTION_VERSION,
  predictionPath as buildPredictionPath,
} from '../shared/custom-vision-path.ts';
import { isObject } from '../shared/json.ts';
import { isRole, rolesWithin, type Role } from '../shared/roles.ts';

export const ModelType = { detect: 'detect', classify: 'classify' } as const;
export type ModelType = (typeof ModelType)[keyof typeof ModelType];

/**
 * Where a model's predictions come from. A source this build does not know is a parse error, never a
 * guess: each source behaves differently (only Custom Vision can store frames), so a newer server's kind
 * must not be run as if it were an old one.
 */
export const ModelSource = { local: 'local', customVision: 'custom-vision' } as const;
export type ModelSource = (typeof ModelSource)[keyof typeof ModelSource];
const KNOWN_SOURCES: readonly string[] = Object.values(ModelSource);

/** The server's offline detector, answering on Custom Vision's routes. */
export interface LocalModel {
  readonly source: typeof ModelSource.local;
}

/** A Custom Vision project in the cloud, reached through the server (which holds the key). */
export interface CustomVisionModel {
  readonly source: typeof ModelSource.customVision;
}

export type ModelInfo = (LocalModel | CustomVisionModel) & {
  readonly projectId: string;
  readonly publishedName: string;
  readonly type: ModelType;
  /** Human-readable name; never empty (falls back to the published name). */
  readonly name: string;
  /** Path (on the Sightline server) to POST images to. */
  readonly predictionPath: string;
  /** Labels the model can return, when the server knows them. */
  readonly tags: readonly string[] | undefined;
  /** The training iteration published under `publishedName`, when the server's training backend can tell. */
  readonly publishedIteration?: { readonly id: string; readonly name: string } | undefined;
};

/** What names a served model in settings and in the device's kept packages: `<projectId>/<publishedName>`. */
export const modelKey = (model: Pick<ModelInfo, 'projectId' | 'publishedName'>): string =>
  `${model.projectId.toLowerCase()}/${model.publishedName}`;

/**
 * The model the person chose (by {@link modelKey}), else the server's first: a choice the server no longer
 * serves falls back rather than leaving the view without a model. Undefined only when none is served.
 */
export function chosenModel(models: readonly ModelInfo[], key: string | undefined): ModelInfo | undefined {
  // Project ids are GUIDs, compared in any case; published names are compared as the server does, exactly.
  const slash = key?.indexOf('/') ?? -1;
  const wanted =
    key && slash > 0
      ? modelKey({ projectId: key.slice(0, slash), publishedName: key.slice(slash + 1) })
      : undefined;
  return models.find((model) => modelKey(model) === wanted) ?? models[0];
}

/**
 * The served model of the training project, the one Teach improves and Publish names: the model served
 * under the training project's id, else the server's first (a server whose training project serves no
 * model of its own, the local store behind a folder of exports, publishes under the first's name).
 */
export function trainingModel(config: Pick<ServerConfig, 'models' | 'training'>): ModelInfo | undefined {
  const { models, training } = config;
  const projectId = training.available ? training.projectId.toLowerCase() : undefined;
  return models.find((model) => model.projectId.toLowerCase() === projectId) ?? models[0];
}

/** Predictions per second the server's upstream allows, so the camera loop paces itself. */
export interface PredictionBudget {
  readonly nostorePerSecond: number;
  readonly storePerSecond: number;
  readonly basis: string;
}

/** What this caller may do: its role and every role whose rights it has (see src/shared/roles.ts). */
export interface CallerInfo {
  readonly role: Role;
  readonly roles: readonly Role[];
}

/** The server's training routes as this caller may use them: where, their limits, which operations. */
export type TrainingInfo =
  | { readonly available: false; readonly source: string }
  | {
      readonly available: true;
      readonly source: string;
      readonly projectId: string;
      /** Path on the Sightline server of the project's training routes (…/training/projects/{id}). */
      readonly basePath: string;
      readonly limits: {
        readonly maxImageBytes: number;
        readonly maxImagesPerBatch: number;
        readonly maxTagsPerBatch: number;
        readonly maxRegionsPerImage: number;
      };
      /** The training operations this caller may use, by the official SDK's method names. */
      readonly operations: readonly string[];
      /**
       * The training budget's pace: calls a second, and TrainProject's own narrower rate. Always set by
       * parseConfig; optional so that a TrainingInfo made by hand (tests) may leave it out: trainingPace().
       */
      readonly pace?: TrainingPace;
    };

/** The pace to keep to for this training block: the server's, or Custom Vision's S0 rate. */
export const trainingPace = (training: { readonly pace?: TrainingPace }): TrainingPace =>
  training.pace ?? DEFAULT_TRAINING_PACE;

export interface TrainingPace {
  readonly callsPerSecond: number;
  readonly trainPerSecond: number;
  readonly basis: string;
}

/** Custom Vision's S0 training tier (10 calls a second): the pace when the server names none. */
export const DEFAULT_TRAINING_PACE: TrainingPace = {
  callsPerSecond: 10,
  trainPerSecond: 10,
  basis: 'default (server gave none)',
};

export interface ServerConfig {
  readonly models: readonly ModelInfo[];
  readonly limits: { readonly maxImageBytes: number };
  readonly budget: PredictionBudget;
  /** Missing from an older server's answer: then the caller is taken to only predict. */
  readonly caller: CallerInfo;
  readonly training: TrainingInfo;
}

const PREDICT_ONLY: CallerInfo = { role: 'predict', roles: ['predict'] };
const NO_TRAINING: TrainingInfo = { available: false, source: 'none' };

/** Custom Vision's free tier: the safe pace when the server does not say. */
export const DEFAULT_BUDGET: PredictionBudget = {
  nostorePerSecond: 2,
  storePerSecond: 2,
  basis: 'default (server gave none)',
};

export interface ServerHealth {
  readonly status: string;
  readonly ready: boolean;
  readonly source: ModelSource | undefined;
  readonly detail: string;
  readonly uptimeSeconds: number | undefined;
}

/** Custom Vision rejects prediction images over 4 MB, so that is the safe default when the server is silent. */
export const DEFAULT_MAX_IMAGE_BYTES = 4 * 1024 * 1024;

/** A request that hangs (half-open socket, sleeping laptop) must not leave the UI on "checking…" forever. */
export const DEFAULT_TIMEOUT_MS = 8_000;

export const ServerInfoErrorKind = {
  /** No HTTP answer at all: connection refused, DNS, timeout. */
  unreachable: 'unreachable',
  /** An HTTP answer with an error status. */
  http: 'http',
  /** An answer whose body is not the JSON we expect. */
  invalid: 'invalid',
} as const;
export type ServerInfoErrorKind = (typeof ServerInfoErrorKind)[keyof typeof ServerInfoErrorKind];

export class ServerInfoError extends Error {
  override readonly name = 'ServerInfoError';
  readonly kind: ServerInfoErrorKind;
  readonly status: number | undefined;
  /**
   * What an operator needs to know to fix it (the address tried, the command to run), kept apart from the
   * message, which is in words for the person using the app.
   */
  readonly technical: string | undefined;

  constructor(
    kind: ServerInfoErrorKind,
    message: string,
    options?: { status?: number; cause?: unknown; technical?: string },
  ) {
    super(message, { cause: options?.cause });
    this.kind = kind;
    this.status = options?.status;
    this.technical = options?.technical;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function isModelType(value: unknown): value is ModelType {
  return value === ModelType.detect || value === ModelType.classify;
}

function isModelSource(value: unknown): value is ModelSource {
  return typeof value === 'string' && KNOWN_SOURCES.includes(value);
}

/** The source as sent, or a {@link ServerInfoError} saying what was sent instead. */
function parseSource(value: unknown, where: string): ModelSource {
  if (isModelSource(value)) return value;
  const got = value === undefined ? 'none' : JSON.stringify(value);
  throw new ServerInfoError(
    'invalid',
    `${where} has a model source this app does not know: ${got} (it knows ${KNOWN_SOURCES.join(', ')})`,
  );
}

function parseModel(raw: unknown, index: number): ModelInfo {
  const where = `/api/config: models[${index}]`;
  if (!isObject(raw)) throw new ServerInfoError('invalid', `${where} is not an object`);
  const projectId = nonEmptyString(raw['projectId']);
  const publishedName = nonEmptyString(raw['publishedName']);
  // Without these two there is nothing to predict against, so a default would only hide a server bug.
  if (projectId === undefined) throw new ServerInfoError('invalid', `${where} has no projectId`);
  if (publishedName === undefined) throw new ServerInfoError('invalid', `${where} has no publishedName`);

  const path = nonEmptyString(raw['predictionPath']);
  // Custom Vision puts the project type in the route, so the path is the best witness when `type` is absent.
  const type: ModelType = isModelType(raw['type'])
    ? raw['type']
    : path?.includes('/classify/')
      ? ModelType.classify
      : ModelType.detect;
  const source = parseSource(raw['source'], where);
  const predictionPath =
    path ??
    buildPredictionPath({
      version: DEFAULT_PREDICTION_VERSION,
      projectId,
      projectType: type,
      publishedName,
      input: 'image',
      store: false,
    });
  const rawTags = raw['tags'];
  const tags = Array.isArray(rawTags)
    ? rawTags.filter((tag): tag is string => typeof tag === 'string' && tag !== '')
    : undefined;
  const rawPublished = isObject(raw['publishedIteration']) ? raw['publishedIteration'] : {};
  const publishedId = nonEmptyString(rawPublished['id']);

  return {
    projectId,
    publishedName,
    type,
    source,
    name: nonEmptyString(raw['name']) ?? publishedName,
    predictionPath,
    tags,
    publishedIteration:
      publishedId === undefined
        ? undefined
        : { id: publishedId, name: nonEmptyString(rawPublished['name']) ?? publishedId },
  };
}

/** Validates the body of `GET /api/config`. Throws a {@link ServerInfoError} of kind `invalid`. */
export function parseConfig(json: unknown): ServerConfig {
  if (!isObject(json)) throw new ServerInfoError('invalid', '/api/config did not return a JSON object');
  const rawModels = json['models'];
  if (!Array.isArray(rawModels)) throw new ServerInfoError('invalid', '/api/config has no "models" list');
  const models = rawModels.map(parseModel);

  const limits = isObject(json['limits']) ? json['limits'] : {};
  const rawMax = limits['maxImageBytes'];
  const maxImageBytes =
    typeof rawMax === 'number' && Number.isFinite(rawMax) && rawMax > 0
      ? Math.floor(rawMax)
      : DEFAULT_MAX_IMAGE_BYTES;

  return {
    models,
    limits: { maxImageBytes },
    budget: parseBudget(json['budget']),
    caller: parseCaller(json['caller']),
    training: parseTraining(json['training']),
  };
}

function parseCaller(raw: unknown): CallerInfo {
  if (!isObject(raw) || typeof raw['role'] !== 'string' || !isRole(raw['role'])) return PREDICT_ONLY;
  const role = raw['role'];
  // Derived, not read: the roles a role includes are fixed, whatever a proxy did to the list.
  return { role, roles: rolesWithin(role) };
}

const positiveInteger = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;

function parseTraining(raw: unknown): TrainingInfo {
  if (!isObject(raw)) return NO_TRAINING;
  const source = typeof raw['source'] === 'string' ? raw['source'] : 'none';
  const { projectId, basePath, operations } = raw;
  if (
    raw['available'] !== true ||
    typeof projectId !== 'string' ||
    typeof basePath !== 'string' ||
    !basePath.startsWith('/') ||
    !Array.isArray(operations)
  ) {
    return { available: false, source };
  }
  const limits = isObject(raw['limits']) ? raw['limits'] : {};
  return {
    available: true,
    source,
    projectId,
    basePath,
    // Custom Vision's own limits stand in for any the server left out.
    limits: {
      maxImageBytes: positiveInteger(limits['maxImageBytes'], 6 * 1024 * 1024),
      maxImagesPerBatch: positiveInteger(limits['maxImagesPerBatch'], 64),
      maxTagsPerBatch: positiveInteger(limits['maxTagsPerBatch'], 20),
      maxRegionsPerImage: positiveInteger(limits['maxRegionsPerImage'], 300),
    },
    operations: (operations as unknown[]).filter((op): op is string => typeof op === 'string'),
    pace: parseTrainingPace(raw['pace']),
  };
}

function parseTrainingPace(raw: unknown): TrainingPace {
  if (!isObject(raw)) return DEFAULT_TRAINING_PACE;
  const rate = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
  const calls = rate(raw['callsPerSecond']);
  if (calls === undefined) return DEFAULT_TRAINING_PACE;
  return {
    callsPerSecond: calls,
    trainPerSecond: Math.min(calls, rate(raw['trainPerSecond']) ?? calls),
    basis: typeof raw['basis'] === 'string' ? raw['basis'] : 'server',
  };
}

/** Whether this caller may use a training operation (by the official SDK's method name). */
export const mayUseTraining = (config: Pick<ServerConfig, 'training'>, operation: string): boolean =>
  config.training.available && config.training.operations.includes(operation);

function parseBudget(raw: unknown): PredictionBudget {
  if (!isObject(raw)) return DEFAULT_BUDGET;
  const rate = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
  const nostore = rate(raw['nostorePerSecond']);
  const store = rate(raw['storePerSecond']) ?? nostore;
  if (nostore === undefined || store === undefined) return DEFAULT_BUDGET;
  const basis = typeof raw['basis'] === 'string' ? raw['basis'] : 'server';
  // A per-client cap (PER_CLIENT_TPS) under the budget is this client's pace: paced to the whole budget it
  // would be refused with 429 over and over.
  const perClient = rate(raw['perClientPerSecond']);
  if (perClient === undefined || perClient >= nostore) {
    return { nostorePerSecond: nostore, storePerSecond: store, basis };
  }
  return {
    nostorePerSecond: perClient,
    storePerSecond: Math.min(store, perClient),
    basis: `${basis}; at most ${perClient}/s per client`,
  };
}

/**
 * Validates the body of `GET /api/health`. Only `status` is required; everything else has a default,
 * except that a `source` given must be one this build knows.
 */
export function parseHealth(json: unknown): ServerHealth {
  if (!isObject(json)) throw new ServerInfoError('invalid', '/api/health did not return a JSON object');
  const status = nonEmptyString(json['status']);
  if (status === undefined) throw new ServerInfoError('invalid', '/api/health has no "status"');
  const rawReady = json['ready'];
  const uptime = json['uptimeSeconds'];
  return {
    status,
    // A server that does not report readiness at all is taken at its word: "ok" means usable.
    ready: typeof rawReady === 'boolean' ? rawReady : status === 'ok',
    // A server that does not say is not wrong; one that names a source this build does not know is.
    source: json['source'] === undefined ? undefined : parseSource(json['source'], '/api/health'),
    detail: typeof json['detail'] === 'string' ? json['detail'].trim() : '',
    uptimeSeconds: typeof uptime === 'number' && Number.isFinite(uptime) && uptime >= 0 ? uptime : undefined,
  };
}

export interface FetchOptions {
  /** Injected in tests; defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/**
 * Fresh answers only, never the HTTP cache's. Spread in rather than written out: Node's own fetch types
 * (which the server's tests of these clients compile against) do not list `cache`, and Node ignores it.
 */
export const NO_HTTP_CACHE = { cache: 'no-store' } as const;

function serverOrigin(): string {
  // `location` does not exist in Node (unit tests, and the server's tests of this client), and the wording
  // still has to make sense there; read through globalThis so that this file type-checks without the DOM.
  const here = (globalThis as { location?: { origin: string } }).location;
  return here === undefined ? 'this address' : here.origin;
}

function unreachable(path: string, cause: unknown): ServerInfoError {
  return new ServerInfoError(
    'unreachable',
    "Can't reach the Sightline server right now. This page keeps trying and carries on by itself when it answers.",
    {
      cause,
      technical: `No answer from ${serverOrigin()} (${path}). Check that the Sightline server is running there (\`npm start\`) and that this device can reach it.`,
    },
  );
}

/**
 * GETs `path` and returns the parsed JSON body. With `acceptErrorBody`, an error status whose body is
 * still JSON is returned rather than thrown, because a starting server may answer health with a 503.
 */
async function getJson(
  path: string,
  signal: AbortSignal,
  options: FetchOptions,
  acceptErrorBody: boolean,
): Promise<unknown> {
  const doFetch = options.fetch ?? fetch;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let response: Response;
  try {
    response = await doFetch(path, {
      signal: AbortSignal.any([signal, timeout]),
      headers: { accept: 'application/json' },
      ...NO_HTTP_CACHE,
    });
  } catch (error) {
    // The caller's own abort is not a failure to report: let it through untouched.
    if (signal.aborted) throw error;
    throw unreachable(path, error);
  }

  let body: unknown;
  let bodyError: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (signal.aborted) throw error;
    if (timeout.aborted) throw unreachable(path, error);
    bodyError = error;
  }
  if (!response.ok && (!acceptErrorBody || bodyError !== undefined)) {
    // Vite's dev proxy answers 502/504 when the API server is down, which is "unreachable" to a person.
    if (response.status === 502 || response.status === 504) throw unreachable(path, bodyError);
    throw new ServerInfoError(
      'http',
      `The Sightline server could not answer (error ${response.status}). This page tries again by itself.`,
      {
        status: response.status,
        technical: `The Sightline server answered ${path} with HTTP ${response.status}; its log says why.`,
      },
    );
  }
  if (bodyError !== undefined) {
    throw new ServerInfoError(
      'invalid',
      `The Sightline server answered ${path} with something other than JSON`,
      {
        cause: bodyError,
      },
    );
  }
  return body;
}

export async function fetchConfig(signal: AbortSignal, options: FetchOptions = {}): Promise<ServerConfig> {
  return parseConfig(await getJson('/api/config', signal, options, false));
}

export async function fetchHealth(signal: AbortSignal, options: FetchOptions = {}): Promise<ServerHealth> {
  return parseHealth(await getJson('/api/health', signal, options, true));
}
