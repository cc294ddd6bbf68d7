// Which backend answers the training routes, and how it is built: the one place that knows the kinds.
// Forwarding to Custom Vision when its training endpoint is set; otherwise none, and the training routes
// say what they need. A local training store would be one more branch in each function.
import { text, type Env } from '../env-parse.ts';
import { registerSecrets } from '../observability/secrets.ts';
import { CustomVisionTrainingBackend } from './custom-vision-training.ts';
import {
  parseCustomVisionTrainingConfig,
  type CustomVisionTrainingConfig,
} from './custom-vision-training-config.ts';
import { forwardedPendingMs, type UpstreamBudgetTerms } from './choose-upstream.ts';
import { NoTrainingBackend, type TrainingBackend } from './training-backend.ts';

export type TrainingConfig =
  ({ readonly kind: 'custom-vision' } & CustomVisionTrainingConfig) | { readonly kind: 'none' };

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
  return {
    config: { kind: 'none' },
    warnings: strays.length
      ? [`${strays.join(', ')} set but CUSTOM_VISION_TRAINING_ENDPOINT is not: the training routes are off.`]
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
    case 'none':
      return { backend: new NoTrainingBackend() };
  }
}
