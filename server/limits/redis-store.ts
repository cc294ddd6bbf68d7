// The sliding-window log in Redis, shared by every instance that points at the same Redis: one Lua
// script per prediction, atomic, timed by Redis's own clock (so instances' clocks need not agree). Keys
// share one hash tag, so the script also runs on a Redis Cluster.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ACTIVE_MS, PENDING_MS, type Admission, type AdmissionLimits, type WindowStore } from './windows.ts';

// KEYS: all, store, client, clients. ARGV: client id, all count, all window ms, store count (0: not a
// stored prediction), store window ms, per-client cap (0: none), active ms, unique member, pending ms.
// The budget's windows get the member as pending (a score in the future); sent() stamps it.
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[3])
redis.call('ZADD', KEYS[4], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[7]))
redis.call('PEXPIRE', KEYS[4], ARGV[7])
local active = redis.call('ZCARD', KEYS[4])
local share = math.ceil(tonumber(ARGV[2]) / active)
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
if w > 0 then return {0, w, 'client', share, active} end
w = wait(KEYS[1], tonumber(ARGV[2]), window)
if w > 0 then return {0, w, 'budget', share, active} end
local pending = now + tonumber(ARGV[9])
local storeCount = tonumber(ARGV[4])
if storeCount > 0 then
  w = wait(KEYS[2], storeCount, tonumber(ARGV[5]))
  if w > 0 then return {0, w, 'budget', share, active} end
  redis.call('ZADD', KEYS[2], pending, ARGV[8])
  redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[9]), tonumber(ARGV[5])))
end
redis.call('ZADD', KEYS[1], pending, ARGV[8])
-- Kept for the longer of a pending call's life and the window: a window over 10 s (a rate under 0.1/s)
-- must not lose its entries early.
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[9]), window))
redis.call('ZADD', KEYS[3], now, ARGV[8])
redis.call('PEXPIRE', KEYS[3], window)
return {1, 0, '', share, active, now}
`;

// KEYS: all, store. ARGV: member, stored (1/0). Stamps a pending member with the time it was sent.
const SENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
if ARGV[2] == '1' then redis.call('ZADD', KEYS[2], 'XX', now, ARGV[1]) end
return 1
`;

// KEYS: instances. ARGV: this instance's id, how long an instance counts as alive (ms).
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
`;

interface Scripts {
  sightlineAdmit(...args: (string | number)[]): Promise<[number, number, string, number, number, number?]>;
  sightlineHeartbeat(...args: (string | number)[]): Promise<number>;
  sightlineSent(...args: (string | number)[]): Promise<number>;
}

export class RedisWindowStore implements WindowStore {
  readonly instanceId = randomUUID();
  private sequence = 0;
  private readonly scripts: Scripts;

  /** `scope` names the shared budget, e.g. the Custom Vision endpoint's host. */
  constructor(
    redis: Redis,
    private readonly scope: string,
  ) {
    redis.defineCommand('sightlineAdmit', { numberOfKeys: 4, lua: ADMIT });
    redis.defineCommand('sightlineHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT });
    redis.defineCommand('sightlineSent', { numberOfKeys: 2, lua: SENT });
    this.scripts = redis as unknown as Scripts;
  }

  private key(name: string): string {
    return `sightline:{${this.scope}}:${name}`;
  }

  async admit(clientId: string, store: boolean, limits: AdmissionLimits): Promise<Admission> {
    const member = `${this.instanceId}:${this.sequence++}`;
    const [ok, wait, reason, share, active, at] = await this.scripts.sightlineAdmit(
      this.key('all'),
      this.key('store'),
      this.key(`client:${clientId}`),
      this.key('clients'),
      clientId,
      limits.all.count,
      limits.all.windowMs,
      store ? limits.store.count : 0,
      limits.store.windowMs,
      limits.clientCap,
      ACTIVE_MS,
      member,
      limits.pendingMs ?? PENDING_MS,
    );
    return ok === 1
      ? { ok: true, share, active, ticket: member, ...(at !== undefined ? { at } : {}) }
      : { ok: false, reason: reason === 'client' ? 'client' : 'budget', retryAfterMs: wait, share, active };
  }

  async sent(ticket: string, store: boolean): Promise<void> {
    await this.scripts.sightlineSent(this.key('all'), this.key('store'), ticket, store ? 1 : 0);
  }

  /** Says this instance is alive; returns how many instances are. */
  heartbeat(aliveMs: number): Promise<number> {
    return this.scripts.sightlineHeartbeat(this.key('instances'), this.instanceId, aliveMs);
  }
}
