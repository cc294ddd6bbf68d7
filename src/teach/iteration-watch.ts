// Notices when the published name of the model in use starts pointing at another training iteration
// (someone published a new one), from that model's publishedIteration in /api/config, so that screens can
// say "now using Iteration 7". Predictions follow the published name by themselves; this is only the word.
import { modelKey, type ModelInfo } from '../api/server-info.ts';

export interface IterationChange {
  readonly id: string;
  readonly name: string;
}

export class IterationWatch {
  /** The iteration last seen per model (by modelKey): switching models is not a change of iteration. */
  readonly #seen = new Map<string, string>();

  /**
   * The model's new iteration when it differs from one seen before for that model. Nothing while none was
   * known yet: the server learns it a moment after start-up, and learning it is not a change. Only the
   * model in use is passed: a newly published iteration of a model this device does not use is not "now
   * using" anything (the server names only the training project's, so another export never has one).
   */
  observe(model: ModelInfo | undefined): IterationChange | undefined {
    const published = model?.publishedIteration;
    // A server that cannot tell (training unreachable for a moment) is not a change either.
    if (model === undefined || published === undefined) return undefined;
    const key = modelKey(model);
    const before = this.#seen.get(key);
    if (published.id === before) return undefined;
    this.#seen.set(key, published.id);
    return before === undefined ? undefined : published;
  }
}

export const describeIterationChange = (change: IterationChange): string => `Now using ${change.name}.`;
