// Custom Vision's prediction service as an upstream: its settings, read and checked at boot. Anything
// wrong stops the server with a message that names the variable, never the key's value.
import { ConfigError, integer, isLoopback, rate, text, type Env } from '../env-parse.ts';
import { JITTER_MARGIN_MS } from '../limits/windows.ts';
import { PREDICTION_PROJECT_TYPES, type PredictionProjectType } from '../../src/shared/custom-vision-path.ts';

export interface CustomVisionConfig {
  /** Scheme and host (and port), no trailing slash, e.g. https://name.cognitiveservices.azure.com */
  readonly endpoint: string;
  readonly predictionKey: string;
  readonly projectId: string;
  readonly publishedName: string;
  readonly projectType: PredictionProjectType;
  /** The whole answer's deadline, retries included: past it the client gets 504. */
  readonly timeoutMs: number;
  /** Further attempts after an upstream 429 or 503 (or a reset connection, for nostore), within the deadline. */
  readonly retries: number;
  /** Consecutive upstream failures that open the circuit, and how long it stays open before a probe. */
  readonly breaker: { readonly threshold: number; readonly cooldownMs: number };
  /** Predictions per second the resource allows, by Custom Vision's tier (or CUSTOM_VISION_TPS). */
  readonly budget: {
    readonly nostorePerSecond: number;
    readonly storePerSecond: number;
    readonly basis: string;
    /** CUSTOM_VISION_BUDGET_MARGIN_MS: how much longer than a second the budget's window is. */
    readonly marginMs: number;
    /**
     * BUDGET_INSTANCES, with REDIS_URL only: the instances to assume share the budget when Redis does not
     * show them (each serving alone while Redis is away takes 1/instances of it).
     */
    readonly instances?: number;
  };
}

export const CUSTOM_VISION_TIERS = {
  // Custom Vision's published limits: F0 2 TPS; S0 10 TPS with storage, 20 without.
  F0: { nostorePerSecond: 2, storePerSecond: 2 },
  S0: { nostorePerSecond: 20, storePerSecond: 10 },
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Classic Cognitive Services keys are 32 hex digits; newer Azure AI keys are 84 alphanumerics.
const PREDICTION_KEY = /^[A-Za-z0-9]{32,128}$/;

function parseEndpoint(raw: string): string {
  const name = 'CUSTOM_VISION_PREDICTION_ENDPOINT';
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
        `(drop "${url.pathname}": the server adds /customvision/v3.x/prediction/... itself).`,
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
  if (!PREDICTION_KEY.test(predictionKey)) {
    // Never echo the key: it may be a real one with a stray character.
    throw new ConfigError(
      `CUSTOM_VISION_PREDICTION_KEY is malformed: expected 32 to 128 letters and digits ` +
        `(got ${predictionKey.length} characters; check for quotes or spaces).`,
    );
  }
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
    timeoutMs: integer(env, 'CUSTOM_VISION_TIMEOUT_MS', 10_000, 100, 300_000),
    retries: integer(env, 'CUSTOM_VISION_RETRIES', 2, 0, 5),
    breaker: {
      threshold: integer(env, 'CUSTOM_VISION_BREAKER_THRESHOLD', 5, 1, 1_000),
      cooldownMs: integer(env, 'CUSTOM_VISION_BREAKER_COOLDOWN_MS', 5_000, 100, 600_000),
    },
    budget: parseBudget(env),
  };
}

function parseBudget(env: Env): CustomVisionConfig['budget'] {
  const tier = (text(env, 'CUSTOM_VISION_TIER') ?? 'S0').toUpperCase();
  if (tier !== 'F0' && tier !== 'S0') {
    throw new ConfigError(`CUSTOM_VISION_TIER must be "F0" or "S0"; it is "${tier}".`);
  }
  const marginMs = integer(env, 'CUSTOM_VISION_BUDGET_MARGIN_MS', JITTER_MARGIN_MS, 0, 1_000);
  // An instance cut off from Redis cannot tell how many others are serving: without a fleet size it would
  // take the whole budget alone. Two is the smallest fleet that shares one.
  const instances = integer(env, 'BUDGET_INSTANCES', 2, 1, 1_000);
  const fleet = text(env, 'REDIS_URL') === undefined ? {} : { instances };
  const tps = rate(env, 'CUSTOM_VISION_TPS', 'predictions');
  if (tps !== undefined)
    return { nostorePerSecond: tps, storePerSecond: tps, basis: 'CUSTOM_VISION_TPS', marginMs, ...fleet };
  return { ...CUSTOM_VISION_TIERS[tier], basis: `Custom Vision ${tier} tier`, marginMs, ...fleet };
}
