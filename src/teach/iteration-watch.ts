// Notices when the server's published name starts pointing at another training iteration (someone
// published a new one), from the model's publishedIteration in /api/config, so that screens can say
// "now using Iteration 7". Predictions follow the published name by themselves; this is only the word.
import type { ServerConfig } from '../api/server-info.ts';

export interface IterationChange {
  readonly id: string;
  readonly name: string;
}

export class IterationWatch {
  #seen: string | undefined;
  #observed = false;

  /** The new iteration when it differs from the one seen before; nothing on the first look. */
  observe(config: Pick<ServerConfig, 'models'>): IterationChange | undefined {
    const published = config.models[0]?.publishedIteration;
    const first = !this.#observed;
    this.#observed = true;
    // A server that cannot tell (training unreachable for a moment) is not a change.
    if (published === undefined || published.id === this.#seen) return undefined;
    this.#seen = published.id;
    return first ? undefined : published;
  }
}

export const describeIterationChange = (change: IterationChange): string => `Now using ${change.name}.`;
