// The upstream budget: the whole server (every instance sharing a Redis) never sends more predictions per
// second than the upstream allows, and each client gets a fair share of it (the budget divided by the
// clients active in the last few seconds, capped by PER_CLIENT_TPS). Without Redis the budget lives in
// memory. With Redis, when it goes away mid-run, each instance falls back to an in-memory budget divided
// by the number of instances it last saw, so that together they still stay within it, and says so in
// its health output until Redis is back.
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { PredictionBudget } from '../upstreams/upstream.ts';
import { MemoryWindowStore } from './memory-store.ts';
import { RedisWindowStore } from './redis-store.ts';
import { perSecond, windowFor, type Admission, type AdmissionLimits, type WindowStore } from './windows.ts';

/** An admitted prediction: call sent() when its request has gone out (more calls do nothing). */
export type BudgetAdmission =
  (Extract<Admission, { ok: true }> & { readonly sent: () => void }) | Extract<Admission, { ok: false }>;

const HEARTBEAT_MS = 2_000;
/** An instance not heard from for this long no longer counts. */
const INSTANCE_ALIVE_MS = 10_000;
/** While Redis is away, try it again at most this often (the other requests go straight to memory). */
const PROBE_MS = 1_000;

export interface BudgetOptions {
  /** The upstream's figures, read at each admission (the local detector's change as it measures itself). */
  readonly figures: () => PredictionBudget;
  readonly perClientTps?: number;
  /**
   * At least this many per window whatever the rate says: the local detector takes workers + queue at
   * once, and its queue, not this window, is what pushes back on a burst.
   */
  readonly burst?: number;
  /** Shared through this Redis when given. */
  readonly redis?: Redis;
  /** What the shared budget belongs to (the Custom Vision endpoint's host). */
  readonly scope: string;
  /** How long an admitted call may wait to go out and still count (default PENDING_MS). */
  readonly pendingMs?: number;
  readonly log: Logger;
}

export interface BudgetState {
  readonly store: 'memory' | 'redis';
  /** "shared" across instances, "local" (by design), or "fallback" (Redis is away). */
  readonly mode: 'shared' | 'local' | 'fallback';
  readonly instances: number;
  readonly detail: string;
}

export class Budget {
  private readonly local = new MemoryWindowStore();
  private readonly shared: RedisWindowStore | undefined;
  private instances = 1;
  private fallbackSince: string | undefined;
  private nextProbeAt = 0;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly options: BudgetOptions) {
    this.shared = options.redis ? new RedisWindowStore(options.redis, options.scope) : undefined;
    if (this.shared) {
      this.beat();
      this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    }
  }

  /** Admits one upstream prediction for `clientId`, or says how long to wait. */
  async admit(clientId: string, store: boolean): Promise<BudgetAdmission> {
    const figures = this.options.figures();
    if (this.shared && (!this.fallbackSince || performance.now() >= this.nextProbeAt)) {
      const limits = this.limits(figures, 1);
      try {
        const admission = await this.shared.admit(clientId, store, limits);
        this.redisWorks();
        return this.withSent(admission, this.shared, store, limits);
      } catch (error) {
        this.redisFailed(error);
      }
    }
    // Alone, or Redis is away: this instance's share of the budget, in memory.
    const limits = this.limits(figures, this.shared ? this.instances : 1);
    return this.withSent(await this.local.admit(clientId, store, limits), this.local, store, limits);
  }

  private withSent(
    admission: Admission,
    windows: WindowStore,
    store: boolean,
    limits: AdmissionLimits,
  ): BudgetAdmission {
    if (!admission.ok) return admission;
    let done = false;
    const sent = () => {
      if (done) return;
      done = true;
      // If Redis cannot be told, the entry stays pending (counting) until it expires: never an undercount.
      windows.sent(admission.ticket, store, limits).catch(() => undefined);
    };
    return { ...admission, sent };
  }

  /**
   * The budget as clients should pace to it (for /api/config): the rate the window admits, which is a
   * little under the upstream's figure (whole counts, jitter margin), or this instance's share while Redis
   * is away. The local detector's measured capacity is reported as it is: its queue does the pacing.
   */
  reported(): PredictionBudget & {
    upstreamPerSecond?: { nostore: number; store: number };
    /** PER_CLIENT_TPS as the window admits it (a whole count per window), when it is set. */
    perClientPerSecond?: number;
  } {
    const figures = this.options.figures();
    const limits = this.limits(figures, this.shared && this.fallbackSince ? this.instances : 1);
    const perClient =
      limits.clientCap > 0
        ? { perClientPerSecond: perSecond({ count: limits.clientCap, windowMs: limits.all.windowMs }) }
        : {};
    if (this.options.burst !== undefined) return { ...figures, ...perClient };
    return {
      nostorePerSecond: perSecond(limits.all),
      storePerSecond: perSecond(limits.store),
      basis: figures.basis,
      upstreamPerSecond: { nostore: figures.nostorePerSecond, store: figures.storePerSecond },
      ...perClient,
    };
  }

  state(): BudgetState {
    const { nostorePerSecond } = this.options.figures();
    if (!this.shared) {
      return {
        store: 'memory',
        mode: 'local',
        instances: 1,
        detail: `in memory, ${nostorePerSecond}/s for this instance`,
      };
    }
    if (this.fallbackSince) {
      const share = Math.round((nostorePerSecond / this.instances) * 100) / 100;
      return {
        store: 'redis',
        mode: 'fallback',
        instances: this.instances,
        detail: `Redis unreachable since ${this.fallbackSince}: serving within a local budget of ${share}/s (1/${this.instances} of ${nostorePerSecond}/s)`,
      };
    }
    return {
      store: 'redis',
      mode: 'shared',
      instances: this.instances,
      detail: `shared through Redis by ${this.instances} instance(s), ${nostorePerSecond}/s in all`,
    };
  }

  close(): void {
    clearInterval(this.heartbeat);
  }

  private limits(figures: PredictionBudget, divisor: number): AdmissionLimits {
    const cap = this.options.perClientTps;
    const all = windowFor(figures.nostorePerSecond / divisor, figures.marginMs);
    return {
      all: { ...all, count: Math.max(all.count, this.options.burst ?? 0) },
      store: windowFor(
        Math.min(figures.storePerSecond, figures.nostorePerSecond) / divisor,
        figures.marginMs,
      ),
      clientCap: cap === undefined ? 0 : Math.max(1, Math.floor(cap)),
      ...(this.options.pendingMs !== undefined ? { pendingMs: this.options.pendingMs } : {}),
    };
  }

  private beat(): void {
    this.shared?.heartbeat(INSTANCE_ALIVE_MS).then(
      (count) => {
        this.instances = Math.max(1, count);
        this.redisWorks();
      },
      (error: unknown) => this.redisFailed(error),
    );
  }

  private redisWorks(): void {
    if (!this.fallbackSince) return;
    this.fallbackSince = undefined;
    this.options.log.info('Redis is back: the prediction budget is shared again');
  }

  private redisFailed(error: unknown): void {
    this.nextProbeAt = performance.now() + PROBE_MS;
    if (this.fallbackSince) return;
    this.fallbackSince = new Date().toISOString();
    this.options.log.warn(
      { error: (error as Error).message, instances: this.instances },
      `Redis unreachable: serving within a local budget (1/${this.instances} of the shared one) until it is back`,
    );
  }
}
