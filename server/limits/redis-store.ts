// The sliding-window log in Redis, shared by every instance that points at the same Redis: one Lua
// script per prediction, atomic, timed by Redis's own clock (so instances' clocks need not agree). Keys
// share one hash tag, so the script also runs on a Redis Cluster.
//
// An instance that loses Redis serves alone within its share of the budget, and Redis cannot see those
// calls. So each instance holds a short lease in Redis, renewed by its heartbeats and admissions: an
// instance whose lease has lapsed may be serving on its own, and the others leave its share of each
// window free. The instance, for its part, serves alone only once its lease has surely lapsed (see
// leaseEndsBy), and when it comes back it enters the calls it admitted alone into Redis's windows, in the
// same script that renews its lease.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisClock } from './redis-clock.ts';
import { ACTIVE_MS, PENDING_MS, type Admission, type AdmissionLimits, type WindowStore } from './windows.ts';

/** How long an instance's lease lasts after it asked for it; heartbeats renew it well before. */
export const LEASE_MS = 1_500;
/** An instance whose lease ended longer ago than this no longer counts among the instances. */
export const INSTANCE_ALIVE_MS = 10_000;

// Shared by the scripts that renew a lease. `now` is Redis's time; a lease ends at a time the instance
// chose (by Redis's clock), so a script run late, long after the instance gave up on it, grants nothing.
// The set's scores are lease ends; it is kept for longer than any lease plus the time an instance counts.
const LEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function lease(key, id, untilMs, aliveMs)
  redis.call('ZADD', key, untilMs, id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - aliveMs)
  redis.call('PEXPIRE', key, 2 * aliveMs)
  return redis.call('ZCARD', key)
end
`;

// KEYS: all, store, client, clients, instances. ARGV: client id, all count, all window ms, store count (0:
// not a stored prediction), store window ms, per-client cap (0: none), active ms, unique member, pending
// ms, instance id, lease end, alive ms, fleet size, one instance's share of all, of store.
// The budget's windows get the member as pending (a score in the future); sent() stamps it.
const ADMIT = `${LEASE}
local window = tonumber(ARGV[3])
local alive = lease(KEYS[5], ARGV[10], ARGV[11], ARGV[12])
-- Instances that may be serving alone (no live lease): each may use its share, which Redis cannot see.
local absent = math.max(tonumber(ARGV[13]), alive) - redis.call('ZCOUNT', KEYS[5], '(' .. now, '+inf')
local allCount = tonumber(ARGV[2]) - absent * tonumber(ARGV[14])
redis.call('ZADD', KEYS[4], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[7]))
redis.call('PEXPIRE', KEYS[4], ARGV[7])
local active = redis.call('ZCARD', KEYS[4])
if allCount < 1 then return {0, window, 'budget', 0, active, now, alive} end
local share = math.ceil(allCount / active)
local cap = tonumber(ARGV[6])
if cap > 0 and cap < share then share = cap end
local function wait(key, count, win)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
  if redis.call('ZCARD', key) < count then return 0 end
  local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
  if oldest > now then return win end
  return oldest + win - now
end
local w = wait(KEYS[3], share, window)
if w > 0 then return {0, w, 'client', share, active, now, alive} end
w = wait(KEYS[1], allCount, window)
if w > 0 then return {0, w, 'budget', share, active, now, alive} end
local pending = now + tonumber(ARGV[9])
local storeCount = tonumber(ARGV[4])
if storeCount > 0 then
  storeCount = storeCount - absent * tonumber(ARGV[15])
  if storeCount < 1 then return {0, tonumber(ARGV[5]), 'budget', share, active, now, alive} end
  w = wait(KEYS[2], storeCount, tonumber(ARGV[5]))
  if w > 0 then return {0, w, 'budget', share, active, now, alive} end
  redis.call('ZADD', KEYS[2], pending, ARGV[8])
  redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[9]), tonumber(ARGV[5])))
end
redis.call('ZADD', KEYS[1], pending, ARGV[8])
-- Kept for the longer of a pending call's life and the window: a window over 10 s (a rate under 0.1/s)
-- must not lose its entries early.
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[9]), window))
redis.call('ZADD', KEYS[3], now, ARGV[8])
redis.call('PEXPIRE', KEYS[3], window)
return {1, 0, '', share, active, now, alive}
`;

// KEYS: all, store. ARGV: member, stored (1/0). Stamps a pending member with the time it was sent.
const SENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
if ARGV[2] == '1' then redis.call('ZADD', KEYS[2], 'XX', now, ARGV[1]) end
return 1
`;

// KEYS: all, store, client. ARGV: member. Takes back an admission whose answer never reached the
// instance (it timed out): that call was never sent, so it must not hold a place in the windows.
const CANCEL = `
for _, key in ipairs(KEYS) do redis.call('ZREM', key, ARGV[1]) end
return 1
`;

// KEYS: instances. ARGV: instance id, lease end, alive ms. Returns how many instances are alive, and now.
const HEARTBEAT = `${LEASE}
return {lease(KEYS[1], ARGV[1], ARGV[2], ARGV[3]), now}
`;

// KEYS: all, store, instances. ARGV: instance id, lease end, alive ms, all ttl, store ttl, then for each
// call this instance admitted alone: member, stored (1/0), its time relative to now (ms; ahead while it
// has not been sent). Enters those calls into the budget's windows, then renews the lease: both at once,
// so no other instance ever counts on this one's share without seeing its calls.
const REJOIN = `${LEASE}
local function enter(key, member, score)
  local old = redis.call('ZSCORE', key, member)
  if not old or tonumber(old) < score then redis.call('ZADD', key, score, member) end
end
for i = 6, #ARGV, 3 do
  local score = now + tonumber(ARGV[i + 2])
  enter(KEYS[1], ARGV[i], score)
  if ARGV[i + 1] == '1' then enter(KEYS[2], ARGV[i], score) end
end
if #ARGV > 5 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return {lease(KEYS[3], ARGV[1], ARGV[2], ARGV[3]), now}
`;

type Reply = [number, number, string, number, number, number, number];
interface Scripts {
  sightlineAdmit(...args: (string | number)[]): Promise<Reply>;
  sightlineHeartbeat(...args: (string | number)[]): Promise<[number, number]>;
  sightlineRejoin(...args: (string | number)[]): Promise<[number, number]>;
  sightlineSent(...args: (string | number)[]): Promise<number>;
  sightlineCancel(...args: (string | number)[]): Promise<number>;
}

/** How the instances split the budget when some cannot reach Redis. */
export interface Fleet {
  /** The instances to assume at least, whether Redis shows them or not. */
  readonly size: number;
  /** What one instance serving alone admits per window: its fallback limits' counts. */
  readonly share: { readonly all: number; readonly store: number };
}

/** An admission, with how many instances Redis counts as alive. */
export type SharedAdmission = Admission & { readonly instances: number };

/** Calls this instance admitted in memory: [member, local time it counts from (ahead: not sent yet)]. */
export interface AloneCalls {
  readonly all: readonly [string, number][];
  readonly store: readonly [string, number][];
}

export class RedisWindowStore implements WindowStore {
  readonly instanceId = randomUUID();
  private sequence = 0;
  private readonly scripts: Scripts;
  private readonly clock = new RedisClock();
  private leaseAsked = 0;

  /** `scope` names the shared budget, e.g. the Custom Vision endpoint's host. */
  constructor(
    private readonly redis: Redis,
    private readonly scope: string,
  ) {
    redis.defineCommand('sightlineAdmit', { numberOfKeys: 5, lua: ADMIT });
    redis.defineCommand('sightlineHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT });
    redis.defineCommand('sightlineRejoin', { numberOfKeys: 3, lua: REJOIN });
    redis.defineCommand('sightlineSent', { numberOfKeys: 2, lua: SENT });
    redis.defineCommand('sightlineCancel', { numberOfKeys: 3, lua: CANCEL });
    this.scripts = redis as unknown as Scripts;
  }

  private key(name: string): string {
    return `sightline:{${this.scope}}:${name}`;
  }

  /** Whether a command would reach Redis (else it fails at once, and Redis never sees it). */
  connected(): boolean {
    return this.redis.status === 'ready' || this.redis.options.enableOfflineQueue !== false;
  }

  /**
   * The local time by which every lease this instance has asked for has ended. A command that failed or
   * timed out may still have run in Redis, so every lease written counts, answered or not.
   */
  leaseEndsBy(): number {
    return this.leaseAsked;
  }

  /** Reads Redis's clock afresh: no side effects, so a Redis too slow to answer gets no lease from it. */
  async probe(): Promise<void> {
    this.clock.forget();
    await this.readClock();
  }

  /**
   * Admits one prediction, and renews this instance's lease. Without `fleet`, no share is kept for
   * instances without a lease (the whole budget is Redis's to give).
   */
  async admit(
    clientId: string,
    store: boolean,
    limits: AdmissionLimits,
    fleet: Fleet = { size: 0, share: { all: 0, store: 0 } },
  ): Promise<SharedAdmission> {
    const member = `${this.instanceId}:${this.sequence++}`;
    const keys = [this.key('all'), this.key('store'), this.key(`client:${clientId}`)];
    const leaseUntil = await this.lease();
    let reply: Reply;
    try {
      reply = await this.scripts.sightlineAdmit(
        ...keys,
        this.key('clients'),
        this.key('instances'),
        clientId,
        limits.all.count,
        limits.all.windowMs,
        store ? limits.store.count : 0,
        limits.store.windowMs,
        limits.clientCap,
        ACTIVE_MS,
        member,
        limits.pendingMs ?? PENDING_MS,
        this.instanceId,
        leaseUntil,
        INSTANCE_ALIVE_MS,
        fleet.size,
        fleet.share.all,
        fleet.share.store,
      );
    } catch (error) {
      // It may yet run (a slow answer): take the place it would hold back, if Redis can be told.
      if (this.connected()) this.scripts.sightlineCancel(...keys, member).catch(() => undefined);
      throw error;
    }
    const [ok, wait, reason, share, active, at, instances] = reply;
    this.clock.observe(at, performance.now());
    return ok === 1
      ? { ok: true, share, active, ticket: member, at, instances }
      : {
          ok: false,
          reason: reason === 'client' ? 'client' : 'budget',
          retryAfterMs: wait,
          share,
          active,
          instances,
        };
  }

  async sent(ticket: string, store: boolean): Promise<void> {
    // Redis away: the entry stays pending (counting) until it expires, never an undercount.
    if (!this.connected()) return;
    await this.scripts.sightlineSent(this.key('all'), this.key('store'), ticket, store ? 1 : 0);
  }

  /** Says this instance is alive and renews its lease; returns how many instances are alive. */
  async heartbeat(): Promise<number> {
    const leaseUntil = await this.lease();
    const [alive, at] = await this.scripts.sightlineHeartbeat(
      this.key('instances'),
      this.instanceId,
      leaseUntil,
      INSTANCE_ALIVE_MS,
    );
    this.clock.observe(at, performance.now());
    return alive;
  }

  /**
   * Comes back after serving alone: enters the calls admitted alone (read by `calls` once the lease is
   * asked for) into Redis's windows and renews the lease, at once. Returns how many instances are alive.
   */
  async rejoin(calls: () => AloneCalls, limits: AdmissionLimits): Promise<number> {
    // The lease first: from here on this instance holds off serving alone (leaseEndsBy), so the calls
    // read next are all it admitted alone.
    const asked = this.leaseAsked;
    const leaseUntil = await this.lease();
    const alone = calls();
    const sentAt = performance.now();
    const stored = new Set(alone.store.map(([member]) => member));
    const times = new Map([...alone.store, ...alone.all]);
    const entries = [...times].flatMap(([member, at]) => [
      member,
      stored.has(member) ? 1 : 0,
      // Measured from before the script runs: an entry can only come out later than it was, never earlier.
      Math.ceil(at - sentAt),
    ]);
    const pendingMs = limits.pendingMs ?? PENDING_MS;
    let reply: [number, number];
    try {
      reply = await this.scripts.sightlineRejoin(
        this.key('all'),
        this.key('store'),
        this.key('instances'),
        this.instanceId,
        leaseUntil,
        INSTANCE_ALIVE_MS,
        Math.max(pendingMs, limits.all.windowMs),
        Math.max(pendingMs, limits.store.windowMs),
        ...entries,
      );
    } catch (error) {
      // Redis answered with an error (a replica refusing writes after a failover, out of memory): the
      // script renews the lease last, so it did not, and serving alone need not wait for it.
      if ((error as Error).name === 'ReplyError') this.leaseAsked = asked;
      throw error;
    }
    const [alive, at] = reply;
    this.clock.observe(at, performance.now());
    return alive;
  }

  /** The end (by Redis's clock) of a lease asked for now, which this instance then knows to end by. */
  private async lease(): Promise<number> {
    if (!this.connected()) throw new Error('Redis is not connected');
    if (!this.clock.known()) await this.readClock();
    const asked = performance.now() + LEASE_MS;
    this.leaseAsked = Math.max(this.leaseAsked, asked);
    return Math.floor(this.clock.atMost(asked)!);
  }

  private async readClock(): Promise<void> {
    const [seconds, micros] = await this.redis.time();
    this.clock.observe(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000), performance.now());
  }
}
