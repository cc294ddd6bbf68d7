// The sliding-window log in this process's memory: one instance's budget, or the fallback when Redis is
// unreachable. Times come from a monotonic clock; idle clients are forgotten after a while. With Redis, the
// calls Redis admits are recorded here too, so that a fallback to memory still sees them.
import {
  ACTIVE_MS,
  PENDING_MS,
  type Admission,
  type AdmissionLimits,
  type WindowLimit,
  type WindowStore,
} from './windows.ts';

/** Entry -> time it counts from (in the future while pending). */
type Log = Map<string, number>;

export class MemoryWindowStore implements WindowStore {
  private readonly logs = new Map<string, Log>();
  private readonly lastSeen = new Map<string, number>();
  private lastSweep = 0;
  private sequence = 0;

  /** `prefix` starts every ticket, so that tickets from several instances never collide once shared. */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly prefix = '',
  ) {}

  admit(clientId: string, store: boolean, limits: AdmissionLimits): Promise<Admission> {
    const now = this.now();
    this.lastSeen.set(clientId, now);
    this.sweep(now);
    let active = 0;
    for (const seen of this.lastSeen.values()) if (seen > now - ACTIVE_MS) active++;
    let share = Math.ceil(limits.all.count / active);
    if (limits.clientCap > 0) share = Math.min(share, limits.clientCap);

    const client = `client:${clientId}`;
    const checks: [string, WindowLimit][] = [
      [client, { count: share, windowMs: limits.all.windowMs }],
      ['all', limits.all],
      ...(store ? [['store', limits.store] as [string, WindowLimit]] : []),
    ];
    for (const [key, limit] of checks) {
      const wait = this.wait(this.log(key), limit, now);
      if (wait > 0) {
        const reason = key === client ? 'client' : 'budget';
        return Promise.resolve({ ok: false, reason, retryAfterMs: wait, share, active });
      }
    }
    const ticket = `${this.prefix}${this.sequence++}`;
    this.enter(clientId, store, limits, ticket, now);
    return Promise.resolve({ ok: true, share, active, ticket });
  }

  /**
   * Counts a call another store admitted (under its ticket), whatever `limits` would say; they only say
   * how long entries count. Nothing else reads these logs while the other store admits, so this is also
   * where their expired entries go.
   */
  record(clientId: string, store: boolean, limits: AdmissionLimits, ticket: string): void {
    const now = this.now();
    this.lastSeen.set(clientId, now);
    this.sweep(now);
    this.expire(this.log(`client:${clientId}`), limits.all.windowMs, now);
    this.expire(this.log('all'), limits.all.windowMs, now);
    this.expire(this.log('store'), limits.store.windowMs, now);
    this.enter(clientId, store, limits, ticket, now);
  }

  /**
   * The entries of the budget's windows ('all', or 'store' for stored predictions) that count after
   * `since`: [ticket, time], a time after now for a call not sent yet.
   */
  entries(key: 'all' | 'store', since: number): [string, number][] {
    return [...this.log(key)].filter(([, at]) => at > since);
  }

  private enter(
    clientId: string,
    store: boolean,
    limits: AdmissionLimits,
    ticket: string,
    now: number,
  ): void {
    this.log(`client:${clientId}`).set(ticket, now); // fairness counts from admission
    const pendingUntil = now + (limits.pendingMs ?? PENDING_MS);
    this.log('all').set(ticket, pendingUntil);
    if (store) this.log('store').set(ticket, pendingUntil);
  }

  sent(ticket: string, store: boolean): Promise<void> {
    const now = this.now();
    for (const key of store ? ['all', 'store'] : ['all']) {
      const log = this.log(key);
      if (log.has(ticket)) log.set(ticket, now);
    }
    return Promise.resolve();
  }

  private log(key: string): Log {
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = new Map<string, number>()));
    return log;
  }

  /**
   * Milliseconds until the window has room (a whole window if all in it are pending), or 0 if it has.
   * Entries sit in admission order, so expired ones are dropped from the front and the scan stops at the
   * first live one: O(1) per request while there is room. (An entry sent early behind one sent late stays
   * a little longer: that only ever errs on the side of admitting fewer.) A full window is scanned whole.
   */
  private wait(log: Log, { count, windowMs }: WindowLimit, now: number): number {
    this.expire(log, windowMs, now);
    if (log.size < count) return 0;
    let oldest = Infinity;
    for (const [ticket, at] of log) {
      if (at <= now - windowMs) log.delete(ticket);
      else oldest = Math.min(oldest, at);
    }
    if (log.size < count) return 0;
    return oldest > now ? windowMs : oldest + windowMs - now;
  }

  /** Drops expired entries from the front (the oldest admitted), up to the first that still counts. */
  private expire(log: Log, windowMs: number, now: number): void {
    for (const [ticket, at] of log) {
      if (at > now - windowMs) break;
      log.delete(ticket);
    }
  }

  /** Forgets clients idle for a while, so a fleet that comes and goes does not grow the maps. */
  private sweep(now: number): void {
    if (now - this.lastSweep < ACTIVE_MS) return;
    this.lastSweep = now;
    for (const [client, seen] of this.lastSeen) {
      if (seen > now - 12 * ACTIVE_MS) continue;
      this.lastSeen.delete(client);
      this.logs.delete(`client:${client}`);
    }
  }
}
