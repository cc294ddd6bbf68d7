// Whether this device may teach, and what with, from /api/config: the app shell works it out once per
// config and hands it to the views, which show a Teach button only when there is one. A predict-only token
// (a kiosk) gets none, so it never offers what the server would refuse.
import { mayUseTraining, type ServerConfig } from '../../api/server-info.ts';
import type { AvailableTraining } from '../../api/training-client.ts';

export interface TeachAccess {
  readonly training: AvailableTraining;
  /** Adding tags to the project is for the `manage` role: others pick from the project's tags. */
  readonly canCreateTags: boolean;
}

export function teachAccess(config: Pick<ServerConfig, 'training' | 'caller'>): TeachAccess | undefined {
  const { training } = config;
  if (!training.available || !mayUseTraining(config, 'createImagesFromFiles')) return undefined;
  return {
    training,
    canCreateTags: config.caller.roles.includes('manage') && mayUseTraining(config, 'createTag'),
  };
}
