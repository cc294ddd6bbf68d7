// The one Redis connection of an instance (REDIS_URL), shared by the prediction budget and the failed-
// attempt counter. Commands fail fast rather than queue while Redis is away, so a request never waits on
// a dead Redis: the callers fall back to memory and say so. Only the host is ever logged (the URL may
// carry a password).
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { registerSecrets } from '../observability/secrets.ts';

export function redisHost(url: string): string {
  const parsed = new URL(url);
  return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
}

/** Connects and waits (up to `waitMs`) for the first connection; a Redis that is down at boot is not fatal. */
export async function connectRedis(url: string, log: Logger, waitMs = 2_000): Promise<Redis> {
  const parsed = new URL(url);
  registerSecrets(decodeURIComponent(parsed.password), parsed.password);
  const host = redisHost(url);
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 2_000,
    // Keep trying to come back, at most every 2 s.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // Each reconnection attempt repeats the error: log only when it changes.
    const message = (error as NodeJS.ErrnoException).code ?? error.message;
    if (message !== lastError) log.warn({ redis: host, error: message }, 'Redis connection problem');
    lastError = message;
  });
  redis.on('ready', () => {
    if (lastError) log.info({ redis: host }, 'Redis connection restored');
    lastError = '';
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (redis.status !== 'ready') {
    log.warn({ redis: host }, 'Redis is not reachable yet: using in-memory limits until it is');
  }
  return redis;
}
