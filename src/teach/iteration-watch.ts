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

  /**
   * The new iteration when it differs from one seen before. Nothing while none was known yet: the server
   * learns it a moment after start-up, and learning it is not a change.
   */
  observe(config: Pick<ServerConfig, 'models'>): IterationChange | undefined {
    const published = config.models[0]?.publishedIteration;
    // A server that cannot tell (training unreachable for a moment) is not a change either.
    if (published === undefined || published.id === this.#seen) return undefined;
    const before = this.#seen;
    this.#seen = published.id;
    return before === undefined ? undefined : published;
  }
}

export const describeIterationChange = (change: IterationChange): string => `Now using ${change.name}.`;
