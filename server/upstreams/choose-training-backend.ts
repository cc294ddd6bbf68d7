// Which backend answers the training routes, and how it is built: the one place that knows the kinds.
// Forwarding to Custom Vision when its training endpoint is set; otherwise the local training store
// answers them from DATA_DIR, so a fresh clone can collect training images with no account.
import { ConfigError, text, type Env } from '../env-parse.ts';
import { registerSecrets } from '../observability/secrets.ts';
import { CustomVisionTrainingBackend } from './custom-vision-training.ts';
import {
  parseCustomVisionTrainingConfig,
  type CustomVisionTrainingConfig,
} from './custom-vision-training-config.ts';
import { forwardedPendingMs, type UpstreamBudgetTerms } from './choose-upstream.ts';
import { LocalTrainingBackend } from './local-training.ts';
import { NoTrainingBackend, type TrainingBackend } from './training-backend.ts';
import { parseTrainingStoreConfig, type TrainingStoreConfig } from '../training-store/config.ts';

export type TrainingConfig =
  | ({ readonly kind: 'custom-vision' } & CustomVisionTrainingConfig)
  | ({ readonly kind: 'local' } & TrainingStoreConfig)
  | { readonly kind: 'none' };

export function parseTrainingConfig(env: Env): { config: TrainingConfig; warnings: string[] } {
  const endpoint = text(env, 'CUSTOM_VISION_TRAINING_ENDPOINT');
  if (endpoint !== undefined) {
    return {
      config: { kind: 'custom-vision', ...parseCustomVisionTrainingConfig(env, endpoint) },
      warnings: [],
    };
  }
  const strays = ['CUSTOM_VISION_TRAINING_KEY', 'CUSTOM_VISION_PREDICTION_RESOURCE_ID'].filter(
    (name) => text(env, name) !== undefined,
  );
  // LOCAL_TRAINING=off: no local store either (a read-only deployment), and the routes say what they need.
  const local = text(env, 'LOCAL_TRAINING') ?? 'on';
  if (local !== 'on' && local !== 'off') {
    throw new ConfigError(`LOCAL_TRAINING must be on or off; it is "${local}".`);
  }
  return {
    config: local === 'off' ? { kind: 'none' } : { kind: 'local', ...parseTrainingStoreConfig(env) },
    warnings: strays.length
      ? [
          `${strays.join(', ')} set but CUSTOM_VISION_TRAINING_ENDPOINT is not: ` +
            (local === 'off'
              ? 'the training routes are off.'
              : 'the local training store answers the training routes.'),
        ]
      : [],
  };
}

export interface CreatedTrainingBackend {
  readonly backend: TrainingBackend;
  /** How its budget treats calls, when it has one. */
  readonly budget?: UpstreamBudgetTerms;
}

export function createTrainingBackend(config: TrainingConfig): CreatedTrainingBackend {
  switch (config.kind) {
    case 'custom-vision': {
      registerSecrets(config.trainingKey);
      return {
        backend: new CustomVisionTrainingBackend(config),
        // Every instance forwarding to one training resource shares its limits, apart from the
        // prediction resource's.
        budget: {
          scope: `${new URL(config.endpoint).host}/training`,
          shared: true,
          pendingMs: forwardedPendingMs(config.timeoutMs),
        },
      };
    }
    case 'local':
      // Nothing upstream to spare: the store's own limits are its tier's counts and DATA_MAX_BYTES.
      return { backend: new LocalTrainingBackend(config) };
    case 'none':
      return { backend: new NoTrainingBackend() };
  }
}
