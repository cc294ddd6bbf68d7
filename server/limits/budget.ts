// The upstream budget: the whole server (every instance sharing a Redis) never sends more predictions per
// second than the upstream allows, and each client gets a fair share of it (the budget divided by the
// clients active in the last few seconds, capped by PER_CLIENT_TPS). Without Redis the budget lives in
// memory. With Redis, when it goes away (or answers too slowly) each instance falls back to an in-memory
// budget divided by the fleet size (the most instances it has seen, and at least BUDGET_INSTANCES), so
// that together they still stay within it, and says so in its health output until Redis is back.
//
// No second may see more than the budget across a switch either way:
// - every call is also entered in memory, whichever store admitted it, so the fallback counts this
//   instance's own calls from before it;
// - the fallback serves nothing until a window has passed since this instance's lease in Redis surely
//   ended: until then the others may have taken the whole budget through Redis, counting on this one;
// - coming back, the instance enters the calls it admitted alone into Redis's windows (redis-store.ts);
// - a command that timed out is a failure but may still run: its lease counts as asked for, and its
//   admission is taken back, since that call was never sent.
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { MemoryWindowStore } from './memory-store.ts';
import { INSTANCE_ALIVE_MS, RedisWindowStore, type Fleet } from './redis-store.ts';
import {
  perSecond,
  windowFor,
  type Admission,
  type AdmissionLimits,
  type PredictionBudget,
} from './windows.ts';

/** An admitted prediction: call sent() when its request has gone out (more calls do nothing). */
export type BudgetAdmission =
  (Extract<Admission, { ok: true }> & { readonly sent: () => void }) | Extract<Admission, { ok: false }>;

/** Renews the lease (LEASE_MS) well before it ends; while Redis is away, tries it again this often. */
const HEARTBEAT_MS = 500;

/** The upstream's figures, and the fleet size to assume (BUDGET_INSTANCES) when Redis does not show it. */
export type BudgetFigures = PredictionBudget & { readonly instances?: number };

export interface BudgetOptions {
  /** The upstream's figures, read at each admission (the local detector's change as it measures itself). */
  readonly figures: () => BudgetFigures;
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
  /** The instances seen through Redis; while Redis is away, the fleet size this one divides by. */
  readonly instances: number;
  readonly detail: string;
}

export class Budget {
  private readonly shared: RedisWindowStore | undefined;
  /** Every call this instance admitted, whichever store admitted it. */
  private readonly local: MemoryWindowStore;
  private mode: 'shared' | 'fallback' = 'shared';
  /** Counts switches: a failure of a command sent before the last switch says nothing about Redis now. */
  private epoch = 0;
  private fallbackSince: string | undefined;
  /** The most instances seen alive, and when that was last confirmed while sharing. */
  private seen = { count: 1, at: 0 };
  private rejoining = false;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly options: BudgetOptions) {
    this.shared = options.redis ? new RedisWindowStore(options.redis, options.scope) : undefined;
    this.local = new MemoryWindowStore(undefined, this.shared ? `${this.shared.instanceId}:m` : '');
    if (this.shared) {
      this.beat();
      this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    }
  }

  /** Admits one upstream prediction for `clientId`, or says how long to wait. */
  async admit(clientId: string, store: boolean): Promise<BudgetAdmission> {
    const figures = this.options.figures();
    const full = this.limits(figures, 1);
    if (!this.shared) return this.withSent(await this.local.admit(clientId, store, full), store);
    if (this.mode === 'shared') {
      const epoch = this.epoch;
      try {
        const admission = await this.shared.admit(clientId, store, full, this.fleet(figures));
        this.saw(admission.instances);
        // Kept for as long as the fallback's windows (its share's, longer for rates under 1/s) count it.
        const alone = this.limits(figures, this.fleetSize(figures));
        if (admission.ok) this.local.record(clientId, store, alone, admission.ticket);
        return this.withSent(admission, store);
      } catch (error) {
        this.redisFailed(error, epoch);
      }
    }
    // Redis is away: this instance's share of the budget, in memory, once no other can count on it.
    const limits = this.limits(figures, this.fleetSize(figures));
    const hold = this.shared.leaseEndsBy() + Math.max(full.all.windowMs, full.store.windowMs);
    const wait = Math.ceil(hold - performance.now());
    if (wait > 0) return { ok: false, reason: 'budget', retryAfterMs: wait, share: 0, active: 0 };
    return this.withSent(await this.local.admit(clientId, store, limits), store);
  }

  private withSent(admission: Admission, store: boolean): BudgetAdmission {
    if (!admission.ok) return admission;
    let done = false;
    const sent = () => {
      if (done) return;
      done = true;
      void this.local.sent(admission.ticket, store);
      // If Redis cannot be told, the entry stays pending (counting) until it expires: never an undercount.
      this.shared?.sent(admission.ticket, store).catch(() => undefined);
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
    const limits = this.limits(
      figures,
      this.shared && this.mode === 'fallback' ? this.fleetSize(figures) : 1,
    );
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
    const figures = this.options.figures();
    const { nostorePerSecond } = figures;
    if (!this.shared) {
      return {
        store: 'memory',
        mode: 'local',
        instances: 1,
        detail: `in memory, ${nostorePerSecond}/s for this instance`,
      };
    }
    if (this.mode === 'fallback') {
      const instances = this.fleetSize(figures);
      const share = Math.round((nostorePerSecond / instances) * 100) / 100;
      return {
        store: 'redis',
        mode: 'fallback',
        instances,
        detail: `Redis unreachable since ${this.fallbackSince}: serving within a local budget of ${share}/s (1/${instances} of ${nostorePerSecond}/s)`,
      };
    }
    // Instances assumed but not seen are left their share of the budget: say so, or it looks lost.
    const { count } = this.seen;
    const fleet = this.fleetSize(figures);
    const unseen =
      fleet > count
        ? `, keeping ${fleet - count}/${fleet} of it for instances not seen (BUDGET_INSTANCES=${fleet})`
        : '';
    return {
      store: 'redis',
      mode: 'shared',
      instances: count,
      detail: `shared through Redis by ${count} instance(s), ${nostorePerSecond}/s in all${unseen}`,
    };
  }

  close(): void {
    clearInterval(this.heartbeat);
  }

  private limits(figures: BudgetFigures, divisor: number): AdmissionLimits {
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

  /** The instances to assume share the budget: the most seen alive lately, and at least BUDGET_INSTANCES. */
  private fleetSize(figures: BudgetFigures): number {
    return Math.max(figures.instances ?? 1, this.seen.count);
  }

  private fleet(figures: BudgetFigures): Fleet {
    const size = this.fleetSize(figures);
    const alone = this.limits(figures, size);
    return { size, share: { all: alone.all.count, store: alone.store.count } };
  }

  /**
   * Redis counts `count` instances alive. A lower count is believed only after it has held for a while
   * of sharing: right after a restart Redis has not heard from the others yet, and they may be serving
   * alone.
   */
  private saw(count: number): void {
    const now = performance.now();
    if (count >= this.seen.count || now - this.seen.at > INSTANCE_ALIVE_MS) this.seen = { count, at: now };
  }

  private beat(): void {
    const shared = this.shared;
    if (!shared) return;
    if (this.mode === 'fallback') {
      void this.rejoin(shared);
      return;
    }
    const epoch = this.epoch;
    shared.heartbeat().then(
      (count) => this.saw(count),
      (error: unknown) => this.redisFailed(error, epoch),
    );
  }

  /** Back to sharing, once Redis answers again, with the calls admitted alone entered into its windows. */
  private async rejoin(shared: RedisWindowStore): Promise<void> {
    if (this.rejoining || !shared.connected()) return;
    this.rejoining = true;
    try {
      await shared.probe();
      const full = this.limits(this.options.figures(), 1);
      const count = await shared.rejoin(() => {
        const now = performance.now();
        return {
          all: this.local.entries('all', now - full.all.windowMs),
          store: this.local.entries('store', now - full.store.windowMs),
        };
      }, full);
      this.mode = 'shared';
      this.epoch++;
      this.fallbackSince = undefined;
      // The others may not be back yet: Redis's count is believed only after a while of sharing.
      this.seen.at = performance.now();
      this.saw(count);
      this.options.log.info('Redis is back: the prediction budget is shared again');
    } catch {
      // Still away or too slow: the next beat tries again.
    } finally {
      this.rejoining = false;
    }
  }

  private redisFailed(error: unknown, epoch: number): void {
    if (epoch !== this.epoch || this.mode === 'fallback') return;
    this.mode = 'fallback';
    this.epoch++;
    this.fallbackSince = new Date().toISOString();
    const instances = this.fleetSize(this.options.figures());
    this.options.log.warn(
      { error: (error as Error).message, instances },
      `Redis unreachable: serving within a local budget (1/${instances} of the shared one) until it is back`,
    );
  }
}
