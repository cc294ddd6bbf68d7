// Failed access attempts, counted per client address with rate-limiter-flexible (shared through Redis
// when REDIS_URL is set, with an in-memory insurance limiter when Redis is unreachable). Too many wrong
// tokens from one address and that address is refused for a while, right or wrong token alike, so that
// guessing gets nowhere. Missing credentials do not count: an unpaired browser is not an attacker.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** At most this many wrong tokens per address per minute... */
export const FAILURES_ALLOWED = 10;
const WINDOW_SECONDS = 60;
/** ...then the address is refused for this long. */
const BLOCK_SECONDS = 300;

type Limiter = RateLimiterMemory | RateLimiterRedis;

export class AuthFailureLimiter {
  private readonly limiter: Limiter;

  constructor(redis?: Redis) {
    const options = { points: FAILURES_ALLOWED, duration: WINDOW_SECONDS, blockDuration: BLOCK_SECONDS };
    const memory = new RateLimiterMemory({ ...options, keyPrefix: 'auth-fail' });
    this.limiter = redis
      ? new RateLimiterRedis({
          ...options,
          storeClient: redis,
          keyPrefix: 'sightline:auth-fail',
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
        })
      : memory;
  }

  /** Milliseconds the address must still wait, or 0 when it may try. */
  async blockedMs(address: string): Promise<number> {
    const res = await this.limiter.get(address).catch(() => null);
    return res && res.consumedPoints > FAILURES_ALLOWED ? Math.max(1, res.msBeforeNext) : 0;
  }

  /** Counts a wrong token; returns how long the address is now blocked (0 if not yet). */
  async recordFailure(address: string): Promise<number> {
    try {
      await this.limiter.consume(address);
      return 0;
    } catch (rejection) {
      return rejection instanceof RateLimiterRes ? Math.max(1, rejection.msBeforeNext) : 0;
    }
  }
}
