// Custom Vision's prediction service as an upstream: its settings, read and checked at boot. Anything
// wrong stops the server with a message that names the variable, never the key's value.
import { ConfigError, integer, isLoopback, rate, text, type Env } from '../env-parse.ts';
import { JITTER_MARGIN_MS } from '../limits/windows.ts';
import { PREDICTION_PROJECT_TYPES, type PredictionProjectType } from '../../src/shared/custom-vision-path.ts';

/** How calls forwarded to a Custom Vision service are made: the same for prediction and training. */
export interface ForwardingSettings {
  /** The whole answer's deadline, retries included: past it the client gets 504. */
  readonly timeoutMs: number;
  /** Further attempts after an upstream 429 or 503 (or a reset connection, for nostore), within the deadline. */
  readonly retries: number;
  /** Consecutive upstream failures that open the circuit, and how long it stays open before a probe. */
  readonly breaker: { readonly threshold: number; readonly cooldownMs: number };
}

/** The rates a Custom Vision resource allows, as a budget keeps to them. */
export interface ServiceBudget {
  /** Every call (for predictions: those without storage, the higher rate). */
  readonly nostorePerSecond: number;
  /** The narrower rate some calls also count against (stored predictions; TrainProject). */
  readonly storePerSecond: number;
  readonly basis: string;
  /** CUSTOM_VISION_BUDGET_MARGIN_MS: how much longer than a second the budget's window is. */
  readonly marginMs: number;
  /**
   * BUDGET_INSTANCES, with REDIS_URL only: the instances to assume share the budget when Redis does not
   * show them (each serving alone while Redis is away takes 1/instances of it).
   */
  readonly instances?: number;
}

export interface CustomVisionConfig extends ForwardingSettings {
  /** Scheme and host (and port), no trailing slash, e.g. https://name.cognitiveservices.azure.com */
  readonly endpoint: string;
  readonly predictionKey: string;
  readonly projectId: string;
  readonly publishedName: string;
  readonly projectType: PredictionProjectType;
  /** Predictions per second the resource allows, by Custom Vision's tier (or CUSTOM_VISION_TPS). */
  readonly budget: ServiceBudget;
}

export const CUSTOM_VISION_TIERS = {
  // Custom Vision's published limits: F0 2 TPS; S0 10 TPS with storage, 20 without.
  F0: { nostorePerSecond: 2, storePerSecond: 2 },
  S0: { nostorePerSecond: 20, storePerSecond: 10 },
} as const;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Classic Cognitive Services keys are 32 hex digits; newer Azure AI keys are 84 alphanumerics.
const SERVICE_KEY = /^[A-Za-z0-9]{32,128}$/;

/** A Custom Vision resource key from variable `name`, checked, or a message that never echoes it. */
export function checkServiceKey(name: string, key: string): string {
  if (!SERVICE_KEY.test(key)) {
    // Never echo the key: it may be a real one with a stray character.
    throw new ConfigError(
      `${name} is malformed: expected 32 to 128 letters and digits ` +
        `(got ${key.length} characters; check for quotes or spaces).`,
    );
  }
  return key;
}

/** A Custom Vision resource's endpoint from variable `name`: scheme and host only, https unless loopback. */
export function parseEndpoint(raw: string, name = 'CUSTOM_VISION_PREDICTION_ENDPOINT'): string {
  const what = name.includes('TRAINING') ? 'training' : 'prediction';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `${name} must be a URL such as https://NAME.cognitiveservices.azure.com; it is "${raw}".`,
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new ConfigError(
      `${name} must use https:// (plain http is only allowed for a loopback test upstream).`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`${name} must not contain credentials, a query or a fragment.`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new ConfigError(
      `${name} must be only the scheme and host, e.g. https://NAME.cognitiveservices.azure.com ` +
        `(drop "${url.pathname}": the server adds /customvision/v3.x/${what}/... itself).`,
    );
  }
  return url.origin;
}

/** The settings of a Custom Vision upstream; called when CUSTOM_VISION_PREDICTION_ENDPOINT is set. */
export function parseCustomVisionConfig(env: Env, rawEndpoint: string): CustomVisionConfig {
  const endpoint = parseEndpoint(rawEndpoint);
  const missing = (name: string, what: string) =>
    new ConfigError(`CUSTOM_VISION_PREDICTION_ENDPOINT is set, so ${name} is required: ${what}.`);

  const predictionKey = text(env, 'CUSTOM_VISION_PREDICTION_KEY');
  if (predictionKey === undefined) {
    throw missing('CUSTOM_VISION_PREDICTION_KEY', 'the prediction resource key from the Azure portal');
  }
  checkServiceKey('CUSTOM_VISION_PREDICTION_KEY', predictionKey);
  const projectId = text(env, 'CUSTOM_VISION_PROJECT_ID');
  if (projectId === undefined) throw missing('CUSTOM_VISION_PROJECT_ID', 'the project GUID');
  if (!UUID.test(projectId)) {
    throw new ConfigError(`CUSTOM_VISION_PROJECT_ID must be a GUID like 0f1e2d3c-...; it is "${projectId}".`);
  }
  const publishedName = text(env, 'CUSTOM_VISION_PUBLISHED_NAME');
  if (publishedName === undefined) {
    throw missing(
      'CUSTOM_VISION_PUBLISHED_NAME',
      'the name the iteration was published under (not its GUID)',
    );
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (publishedName.length > 256 || /[\u0000-\u001f/\\?#]/.test(publishedName)) {
    throw new ConfigError(
      'CUSTOM_VISION_PUBLISHED_NAME must be at most 256 characters with no control characters, / \\ ? or #.',
    );
  }
  const projectType = text(env, 'CUSTOM_VISION_PROJECT_TYPE') ?? 'detect';
  if (!(PREDICTION_PROJECT_TYPES as readonly string[]).includes(projectType)) {
    throw new ConfigError(
      `CUSTOM_VISION_PROJECT_TYPE must be "detect" or "classify"; it is "${projectType}".`,
    );
  }
  return {
    endpoint,
    predictionKey,
    projectId: projectId.toLowerCase(),
    publishedName,
    projectType: projectType as PredictionProjectType,
    ...parseForwarding(env),
    budget: parseBudget(env),
  };
}

/** The deadline, retries and circuit breaker of forwarded calls (CUSTOM_VISION_TIMEOUT_MS and the rest). */
export function parseForwarding(env: Env): ForwardingSettings {
  return {
    timeoutMs: integer(env, 'CUSTOM_VISION_TIMEOUT_MS', 10_000, 100, 300_000),
    retries: integer(env, 'CUSTOM_VISION_RETRIES', 2, 0, 5),
    breaker: {
      threshold: integer(env, 'CUSTOM_VISION_BREAKER_THRESHOLD', 5, 1, 1_000),
      cooldownMs: integer(env, 'CUSTOM_VISION_BREAKER_COOLDOWN_MS', 5_000, 100, 600_000),
    },
  };
}

/** A tier variable (CUSTOM_VISION_TIER, CUSTOM_VISION_TRAINING_TIER): F0 or S0, S0 unless set. */
export function parseTier(env: Env, name: string): 'F0' | 'S0' {
  const tier = (text(env, name) ?? 'S0').toUpperCase();
  if (tier !== 'F0' && tier !== 'S0') throw new ConfigError(`${name} must be "F0" or "S0"; it is "${tier}".`);
  return tier;
}

/** The window margin and, with Redis, the fleet size every budget of this server keeps to. */
export function budgetWindows(env: Env): Pick<ServiceBudget, 'marginMs' | 'instances'> {
  const marginMs = integer(env, 'CUSTOM_VISION_BUDGET_MARGIN_MS', JITTER_MARGIN_MS, 0, 1_000);
  // An instance cut off from Redis cannot tell how many others are serving: without a fleet size it would
  // take the whole budget alone. Two is the smallest fleet that shares one.
  const instances = integer(env, 'BUDGET_INSTANCES', 2, 1, 1_000);
  return text(env, 'REDIS_URL') === undefined ? { marginMs } : { marginMs, instances };
}

function parseBudget(env: Env): ServiceBudget {
  const tier = parseTier(env, 'CUSTOM_VISION_TIER');
  const { marginMs, ...fleet } = budgetWindows(env);
  const tps = rate(env, 'CUSTOM_VISION_TPS', 'predictions');
  if (tps !== undefined)
    return { nostorePerSecond: tps, storePerSecond: tps, basis: 'CUSTOM_VISION_TPS', marginMs, ...fleet };
  return { ...CUSTOM_VISION_TIERS[tier], basis: `Custom Vision ${tier} tier`, marginMs, ...fleet };
}
