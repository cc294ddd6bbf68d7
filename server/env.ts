// Reads and validates the server's configuration from the environment once, at boot. Anything wrong
// stops the server with a message that names the variable and what is wrong with it, never its value
// when the value is a secret.
import { ConfigError, fraction, integer, isLoopback, rate, text, type Env } from './env-parse.ts';
import { parseHttpLimits, type HttpLimits } from './http/server-limits.ts';
import { JITTER_MARGIN_MS } from './limits/windows.ts';
import { parseSecurity, type SecurityConfig } from './security/config.ts';

export { ConfigError };

export const PROJECT_TYPES = ['detect', 'classify'] as const;
export type ProjectType = (typeof PROJECT_TYPES)[number];

export interface CustomVisionConfig {
  /** Scheme and host (and port), no trailing slash, e.g. https://name.cognitiveservices.azure.com */
  readonly endpoint: string;
  readonly predictionKey: string;
  readonly projectId: string;
  readonly publishedName: string;
  readonly projectType: ProjectType;
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

export interface LocalDetectorConfig {
  readonly workers: number;
  /** Requests allowed to wait for a worker; beyond that the server answers 429. */
  readonly queueLimit: number;
  readonly minProbability: number;
  readonly maxDetections: number;
  readonly iouThreshold: number;
}

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly security: SecurityConfig;
  readonly http: HttpLimits;
  /** Shared budget and failed-attempt counts across instances; unset: in memory, per instance. */
  readonly redisUrl?: string;
  /** A fixed cap per client on top of its fair share of the budget (PER_CLIENT_TPS). */
  readonly perClientTps?: number;
  /** Exactly one of these is set: the upstream that answers prediction requests. */
  readonly customVision?: CustomVisionConfig;
  readonly local?: LocalDetectorConfig;
  /** Things that are allowed but probably not meant; logged at boot. */
  readonly warnings: readonly string[];
}

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

function parseCustomVision(env: Env, endpoint: string): CustomVisionConfig {
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
  if (!(PROJECT_TYPES as readonly string[]).includes(projectType)) {
    throw new ConfigError(
      `CUSTOM_VISION_PROJECT_TYPE must be "detect" or "classify"; it is "${projectType}".`,
    );
  }
  return {
    endpoint,
    predictionKey,
    projectId: projectId.toLowerCase(),
    publishedName,
    projectType: projectType as ProjectType,
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

/** Exposed over plain HTTP with no TLS proxy declared, tokens travel in clear and browsers cannot pair. */
function securityWarnings(security: SecurityConfig): string[] {
  if (!security.exposed || security.tls || security.trustProxy > 0) return [];
  return [
    'Exposed without TLS: tokens would cross the network in clear, and browsers keep the pairing cookie ' +
      '(Secure) only over HTTPS. Set TLS_CERT_FILE and TLS_KEY_FILE, or serve behind an HTTPS proxy and ' +
      'set TRUST_PROXY=1.',
  ];
}

function parseRedisUrl(env: Env): string | undefined {
  const raw = text(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  // Never quote it: it may hold a password.
  if (!URL.canParse(raw) || !/^rediss?:$/.test(new URL(raw).protocol)) {
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://redis:6379/0.');
  }
  return raw;
}

export function parseConfig(env: Env, cores: number): ServerConfig {
  const port = integer(env, 'PORT', 8080, 0, 65_535);
  const host = text(env, 'HOST') ?? '127.0.0.1';
  const redisUrl = parseRedisUrl(env);
  const perClientTps = rate(env, 'PER_CLIENT_TPS', 'predictions');
  const common = {
    port,
    host,
    security: parseSecurity(env, host),
    http: parseHttpLimits(env),
    ...(redisUrl !== undefined ? { redisUrl } : {}),
    ...(perClientTps !== undefined ? { perClientTps } : {}),
  };
  const endpoint = text(env, 'CUSTOM_VISION_PREDICTION_ENDPOINT');
  if (endpoint !== undefined) {
    return {
      ...common,
      customVision: parseCustomVision(env, parseEndpoint(endpoint)),
      warnings: securityWarnings(common.security),
    };
  }
  const strays = [
    'CUSTOM_VISION_PREDICTION_KEY',
    'CUSTOM_VISION_PROJECT_ID',
    'CUSTOM_VISION_PUBLISHED_NAME',
  ].filter((name) => text(env, name) !== undefined);
  const warnings = [
    ...(strays.length
      ? [`${strays.join(', ')} set but CUSTOM_VISION_PREDICTION_ENDPOINT is not: serving the local detector.`]
      : []),
    ...securityWarnings(common.security),
  ];
  const workers = integer(env, 'LOCAL_DETECTOR_WORKERS', Math.max(1, cores), 1, 64);
  return {
    ...common,
    local: {
      workers,
      queueLimit: integer(env, 'LOCAL_DETECTOR_QUEUE_LIMIT', workers * 4, 0, 10_000),
      minProbability: fraction(env, 'LOCAL_DETECTOR_MIN_PROBABILITY', 0.15),
      maxDetections: integer(env, 'LOCAL_DETECTOR_MAX_DETECTIONS', 20, 1, 100),
      iouThreshold: fraction(env, 'LOCAL_DETECTOR_IOU_THRESHOLD', 0.5),
    },
    warnings,
  };
}
