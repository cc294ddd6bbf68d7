// Custom Vision's training service as a backend: its settings, read and checked at boot. Training is a
// separate Azure resource with a key of its own; the deadline, retries and circuit breaker read the same
// variables as the prediction upstream's. Anything wrong stops the server with a message that names the
// variable, never the key's value.
import { ConfigError, rate, text, type Env } from '../env-parse.ts';
import {
  budgetWindows,
  checkServiceKey,
  parseEndpoint,
  parseForwarding,
  parseTier,
  UUID,
  type ForwardingSettings,
  type ServiceBudget,
} from './custom-vision-config.ts';

export interface CustomVisionTrainingConfig extends ForwardingSettings {
  /** Scheme and host (and port), e.g. https://name.cognitiveservices.azure.com */
  readonly endpoint: string;
  readonly trainingKey: string;
  /** The one project offered; any other is answered 404. */
  readonly projectId: string;
  /** The prediction resource's ARM id, which publishing names; unset, publishing is refused. */
  readonly predictionResourceId?: string;
  /**
   * Custom Vision's training rates: every call (`nostorePerSecond`, the budget's wider window) and
   * TrainProject (`storePerSecond`, the narrower one it also counts against).
   */
  readonly budget: ServiceBudget;
}

export const CUSTOM_VISION_TRAINING_TIERS = {
  // Custom Vision's published limits: TrainProject 2/s on F0 and 10/s on S0; other calls 10/s on both.
  F0: { nostorePerSecond: 10, storePerSecond: 2 },
  S0: { nostorePerSecond: 10, storePerSecond: 10 },
} as const;

const RESOURCE_ID =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[\w.()-]{1,90}\/providers\/Microsoft\.CognitiveServices\/accounts\/[\w.-]{2,64}$/i;

/** The settings of the training backend; called when CUSTOM_VISION_TRAINING_ENDPOINT is set. */
export function parseCustomVisionTrainingConfig(env: Env, rawEndpoint: string): CustomVisionTrainingConfig {
  const endpoint = parseEndpoint(rawEndpoint, 'CUSTOM_VISION_TRAINING_ENDPOINT');
  const missing = (name: string, what: string) =>
    new ConfigError(`CUSTOM_VISION_TRAINING_ENDPOINT is set, so ${name} is required: ${what}.`);
  const trainingKey = text(env, 'CUSTOM_VISION_TRAINING_KEY');
  if (trainingKey === undefined) {
    throw missing(
      'CUSTOM_VISION_TRAINING_KEY',
      'the training resource key from the Azure portal (not the prediction key)',
    );
  }
  checkServiceKey('CUSTOM_VISION_TRAINING_KEY', trainingKey);
  const predictionKey = text(env, 'CUSTOM_VISION_PREDICTION_KEY');
  if (predictionKey !== undefined && predictionKey === trainingKey) {
    throw new ConfigError(
      'CUSTOM_VISION_TRAINING_KEY is the same as CUSTOM_VISION_PREDICTION_KEY: training is a separate ' +
        "Azure resource; use the training resource's own key.",
    );
  }
  const projectId = text(env, 'CUSTOM_VISION_PROJECT_ID');
  if (projectId === undefined) throw missing('CUSTOM_VISION_PROJECT_ID', 'the GUID of the project to train');
  if (!UUID.test(projectId)) {
    throw new ConfigError(`CUSTOM_VISION_PROJECT_ID must be a GUID like 0f1e2d3c-...; it is "${projectId}".`);
  }
  const resourceId = text(env, 'CUSTOM_VISION_PREDICTION_RESOURCE_ID');
  if (resourceId !== undefined && !RESOURCE_ID.test(resourceId)) {
    throw new ConfigError(
      "CUSTOM_VISION_PREDICTION_RESOURCE_ID must be the prediction resource's ARM id, " +
        '/subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.CognitiveServices/accounts/<name> ' +
        "(the portal shows it under the resource's Properties); it is not.",
    );
  }
  return {
    endpoint,
    trainingKey,
    projectId: projectId.toLowerCase(),
    ...(resourceId !== undefined ? { predictionResourceId: resourceId } : {}),
    ...parseForwarding(env),
    budget: parseTrainingBudget(env),
  };
}

function parseTrainingBudget(env: Env): ServiceBudget {
  const tier = parseTier(env, 'CUSTOM_VISION_TRAINING_TIER');
  const tps = rate(env, 'CUSTOM_VISION_TRAINING_TPS', 'training calls');
  if (tps !== undefined) {
    return {
      nostorePerSecond: tps,
      storePerSecond: tps,
      basis: 'CUSTOM_VISION_TRAINING_TPS',
      ...budgetWindows(env),
    };
  }
  return {
    ...CUSTOM_VISION_TRAINING_TIERS[tier],
    basis: `Custom Vision training ${tier} tier`,
    ...budgetWindows(env),
  };
}
