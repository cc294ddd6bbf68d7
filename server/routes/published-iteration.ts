// Which iteration of the training project is published under the name the server predicts with, for
// /api/config: screens compare it with what they last saw and say "now using Iteration 7" when someone
// publishes a new one. The answer comes from the training backend itself (its getIterations, through the
// same handle() the training routes use, within the training budget), cached: /api/config is asked by
// every screen, and a spent training budget must go to uploads, not to this lookup.
import type { Budget } from '../limits/budget.ts';
import type { TrainingBackend, TrainingRequest } from '../upstreams/training-backend.ts';
import { TRAINING_OPERATIONS, TRAINING_VERSIONS } from '../../src/shared/custom-vision-training.ts';

export interface PublishedIteration {
  readonly id: string;
  readonly name: string;
}

/** How long an answer is used before it is asked again: a publish shows up on screens within this. */
export const PUBLISHED_ITERATION_TTL_MS = 15_000;

const GET_ITERATIONS = TRAINING_OPERATIONS.find((op) => op.name === 'getIterations');

/** A presence for a lookup no client waits on: it is never gone. */
const NOBODY_WAITS = {
  gone: false,
  onGone: () => () => undefined,
  get signal() {
    return new AbortController().signal;
  },
} as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class PublishedIterationWatch {
  #value: PublishedIteration | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;

  constructor(
    private readonly backend: TrainingBackend,
    private readonly budget: Budget | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The last known published iteration for `publishedName` (undefined while unknown), refreshed in the
   * background when older than the TTL. Never waits: /api/config must answer at once.
   */
  current(projectId: string, publishedName: string): PublishedIteration | undefined {
    if (this.backend.projectId !== projectId || GET_ITERATIONS === undefined) return undefined;
    if (this.#inFlight === undefined && this.now() - this.#checkedAt >= PUBLISHED_ITERATION_TTL_MS) {
      this.#inFlight = this.#lookUp(projectId, publishedName).finally(() => {
        this.#checkedAt = this.now();
        this.#inFlight = undefined;
      });
    }
    return this.#value;
  }

  /** Resolves once a lookup in flight (if any) has finished; for tests and start-up. */
  settled(): Promise<void> {
    return this.#inFlight ?? Promise.resolve();
  }

  async #lookUp(projectId: string, publishedName: string): Promise<void> {
    const request: TrainingRequest = {
      version: TRAINING_VERSIONS[0],
      operation: GET_ITERATIONS!,
      params: { projectId },
      query: [],
      body: { kind: 'none' },
      client: NOBODY_WAITS,
      trace: { outcomes: [] },
      admit: async () => {
        if (!this.budget) return { sent: () => undefined };
        const admission = await this.budget.admit('server:published-iteration', false);
        // A spent budget belongs to the people uploading: skip this round, keep the last answer.
        if (!admission.ok) throw new Error('training budget spent');
        return admission;
      },
    };
    try {
      const answer = await this.backend.handle(request);
      if (answer.status !== 200) return;
      const list: unknown = JSON.parse(answer.body.toString('utf8'));
      if (!Array.isArray(list)) return;
      const published = list
        .filter(isRecord)
        .find(
          (iteration) => iteration['publishName'] === publishedName && typeof iteration['id'] === 'string',
        );
      this.#value = published
        ? {
            id: String(published['id']),
            name: typeof published['name'] === 'string' ? published['name'] : String(published['id']),
          }
        : undefined;
    } catch {
      // Unreachable, refused or spent: the last answer stands until the next round.
    }
  }
}
