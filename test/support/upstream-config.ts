// The upstream settings of a parsed configuration, by kind: undefined when it is of another kind.
import type { ServerConfig } from '../../server/env.ts';

export const customVisionOf = (config: ServerConfig) =>
  config.upstream.kind === 'custom-vision' ? config.upstream : undefined;

export const localOf = (config: ServerConfig) =>
  config.upstream.kind === 'local' ? config.upstream : undefined;
