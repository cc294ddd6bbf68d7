// Several instances behind a load balancer share one budget through a real redis-server (Debian's
// package; .ci/run installs it, and these tests fail, saying so, when it is missing). Together they never
// exceed it; when Redis goes away mid-run each keeps serving within its share and says so in its health
// output, and they share again when Redis is back. No second sees more than the budget across any of
// those switches either, nor when Redis answers too slowly.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/env.ts';
import { customVisionOf } from '../support/upstream-config.ts';
import { Budget } from '../../server/limits/budget.ts';
import { connectRedis } from '../../server/limits/redis.ts';
import { MemoryWindowStore } from '../../server/limits/memory-store.ts';
import { RedisWindowStore } from '../../server/limits/redis-store.ts';
import { windowFor } from '../../server/limits/windows.ts';
import { createLogger } from '../../server/observability/logger.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { hammer } from '../support/hammer.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { freePort } from '../support/spawn-server.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
const BUDGET = 8;

interface Limiter {
  mode: string;
  instances: number;
  detail: string;
}
const limiterOf = async (server: TestServer) =>
  ((await (await fetch(`${server.url}/api/health`)).json()) as { limiter: Limiter }).limiter;

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling interval
  }
}

/** The most of `times` (ms) within any one second. */
function maxPerSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j]! - sorted[i]! >= 1000) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('the Redis window store', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('admits no more than the budget in any second across two instances admitting at once', async () => {
    const clients = [new Redis(redis.url), new Redis(redis.url)];
    const stores = clients.map((client) => new RedisWindowStore(client, 'store-test'));
    const limits = { all: windowFor(BUDGET), store: windowFor(BUDGET), clientCap: 0 };
    const admitted: number[] = [];
    const until = performance.now() + 2_500;
    await Promise.all(
      stores.flatMap((store, s) =>
        Array.from({ length: 4 }, async (_, loop) => {
          while (performance.now() < until) {
            const admission = await store.admit(`client-${s}-${loop}`, false, limits);
            if (admission.ok) await store.sent(admission.ticket, false);
            // Redis's clock at the decision: replies reach this busy process with jitter of their own.
            if (admission.ok) admitted.push(admission.at!);
          }
        }),
      ),
    );
    for (const client of clients) client.disconnect();
    expect(admitted.length).toBeGreaterThanOrEqual(BUDGET * 2);
    expect(maxPerSecond(admitted)).toBeLessThanOrEqual(BUDGET);
  });

  it("keeps a slow rate's window (over 10 s) and a long pending call for as long as they count", async () => {
    const client = new Redis(redis.url);
    const store = new RedisWindowStore(client, 'expiry-test');
    // 0.05/s: one per 20.03 s; a call may wait up to 31 s for a connection (a 30 s Custom Vision timeout).
    const limits = { all: windowFor(0.05), store: windowFor(0.05), clientCap: 0, pendingMs: 31_000 };
    const admission = await store.admit('slow-client', true, limits);
    expect(admission.ok).toBe(true);
    for (const name of ['all', 'store']) {
      expect(await client.pttl(`sightline:{expiry-test}:${name}`), name).toBeGreaterThan(30_000);
    }
    client.disconnect();
  });
});

describe("this instance's own record of the calls Redis admitted", () => {
  it('forgets them once no window counts them', async () => {
    let now = 0;
    const log = new MemoryWindowStore(() => now);
    const limits = { all: windowFor(4), store: windowFor(4), clientCap: 0 };
    for (let i = 0; i < 1_000; i++) {
      now = i * 100;
      log.record('a', true, limits, `redis-${i}`);
      await log.sent(`redis-${i}`, true);
    }
    // A window (1.03 s) holds 11 of them at this pace; the rest are gone.
    expect(log.entries('all', -Infinity)).toHaveLength(11);
    expect(log.entries('store', -Infinity)).toHaveLength(11);
  });
});

describe('two instances sharing one Redis', () => {
  let redis: TestRedis;
  let fake: FakeCustomVision;
  let servers: TestServer[];

  beforeAll(async () => {
    redis = await startRedis();
    fake = await startFakeCustomVision(PROJECT);
    const env = {
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: fake.key,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
      CUSTOM_VISION_TPS: String(BUDGET),
      REDIS_URL: redis.url,
    };
    servers = [await startTestServer(env), await startTestServer(env)];
    await until('both instances see each other', async () =>
      (await Promise.all(servers.map(limiterOf))).every((l) => l.mode === 'shared' && l.instances === 2),
    );
  });
  afterAll(async () => {
    for (const server of servers ?? []) await server.close();
    await fake?.close();
    await redis?.stop();
  });

  it('never exceed the common budget together', async () => {
    const warm = Date.now() + 1_200;
    const counts = await hammer(
      servers.map((server) => `${server.url}${ROUTE}`),
      { ms: 3_500, concurrency: 8 },
    );
    expect(Object.keys(counts).sort()).toEqual(['200', '429']);
    expect(counts[200]).toBeGreaterThanOrEqual(BUDGET * 2);
    expect(fake.maxPerSecond(warm)).toBeLessThanOrEqual(BUDGET);
    const config = (await (await fetch(`${servers[0]!.url}/api/config`)).json()) as {
      budget: { sharing: string };
    };
    expect(config.budget.sharing).toBe('shared');
  });

  it('keep serving within a safe local budget while Redis is away, say so, and share again when it is back', async () => {
    await redis.stop();
    const since = Date.now();
    // Each first waits out its lease and a window (about 2.5 s): the other may have counted on it till then.
    const counts = await hammer(
      servers.map((server) => `${server.url}${ROUTE}`),
      { ms: 4_500, concurrency: 8 },
    );
    expect(Object.keys(counts).sort()).toEqual(['200', '429']);
    expect(counts[200]).toBeGreaterThanOrEqual(BUDGET);
    // Each instance takes half the budget on its own: together still within it.
    expect(fake.maxPerSecond(since + 1_200)).toBeLessThanOrEqual(BUDGET);
    for (const server of servers) {
      const limiter = await limiterOf(server);
      expect(limiter.mode).toBe('fallback');
      expect(limiter.detail).toMatch(/Redis unreachable since .*local budget of 4\/s \(1\/2 of 8\/s\)/);
      expect((await fetch(`${server.url}/api/ready`)).status).toBe(200);
      expect(server.logs.some((line) => /Redis unreachable: serving within a local budget/.test(line))).toBe(
        true,
      );
    }
    await redis.start();
    await until('the instances share the budget again', async () =>
      (await Promise.all(servers.map(limiterOf))).every((l) => l.mode === 'shared'),
    );
    expect(
      (await fetch(`${servers[0]!.url}${ROUTE}`, { method: 'POST', body: new Uint8Array([1]) })).status,
    ).toBe(400);
  });
});

const TPS = 4;

interface Instance {
  readonly budget: Budget;
  readonly redis: Redis;
  readonly logs: string[];
}

/**
 * `size` instances' budgets in this process (BUDGET_INSTANCES the same), each with its own connection, as
 * the server makes them.
 */
async function fleet(url: string, scope: string, size = 2): Promise<Instance[]> {
  return Promise.all(
    Array.from({ length: size }, async () => {
      const logs: string[] = [];
      const log = createLogger('info', (line) => logs.push(line));
      const redis = await connectRedis(url, log, 300);
      const budget = new Budget({
        figures: () => ({ nostorePerSecond: TPS, storePerSecond: TPS, basis: 'test', instances: size }),
        redis,
        scope,
        log,
      });
      return { budget, redis, logs };
    }),
  );
}

function closeFleet(instances: readonly Instance[]): void {
  for (const { budget, redis } of instances) {
    budget.close();
    redis.disconnect();
  }
}

/** Until both instances share through Redis and each has renewed its lease there. */
async function sharing(instances: readonly Instance[], url: string, scope: string): Promise<void> {
  const probe = new Redis(url);
  try {
    await until('both instances share the budget', async () =>
      instances.every(({ budget }) => budget.state().mode === 'shared')
        ? (await probe.zcard(`sightline:{${scope}}:instances`)) === 2
        : false,
    );
  } finally {
    probe.disconnect();
  }
}

/**
 * Three clients per instance ask for calls as fast as they are admitted, each sent at once: the time of
 * each admission (ms since the epoch: Redis's clock when Redis admitted it, else this machine's, which
 * is the same clock here).
 */
function load(instances: readonly Instance[]) {
  const admitted: number[] = [];
  const byInstance = instances.map(() => 0);
  let running = true;
  const loops = Promise.all(
    instances.flatMap(({ budget }, i) =>
      Array.from({ length: 3 }, async (_, loop) => {
        while (running) {
          const admission = await budget.admit(`client-${i}-${loop}`, false);
          if (admission.ok) {
            admitted.push(admission.at ?? Date.now());
            byInstance[i]!++;
            admission.sent();
          } else {
            // The load's own pace while refused: no sooner than told, and at least now and then.
            await new Promise((resolve) => setTimeout(resolve, Math.min(admission.retryAfterMs, 25)));
          }
        }
      }),
    ),
  );
  return {
    admitted,
    /** How many calls each instance has been admitted. */
    byInstance,
    /** Until every instance is in `mode` and `calls` were admitted since `since` (within `ms`). */
    settled: (mode: 'shared' | 'fallback', since: number, calls: number, ms?: number) =>
      until(
        `every instance ${mode}, ${calls} calls admitted`,
        () =>
          instances.every(({ budget }) => budget.state().mode === mode)
            ? admitted.filter((time) => time >= since).length >= calls
            : false,
        ms,
      ),
    stop: async () => {
      running = false;
      await loops;
      return admitted;
    },
  };
}

describe('two instances through Redis outages (no second ever sees more than the budget)', () => {
  let redis: TestRedis | undefined;
  let instances: Instance[] = [];
  afterEach(async () => {
    closeFleet(instances);
    instances = [];
    await redis?.stop();
  });

  /** A Redis, two instances sharing it, and the load on them. */
  async function loadShared(scope: string) {
    const server = (redis = await startRedis());
    instances = await fleet(server.url, scope);
    await sharing(instances, server.url, scope);
    return { redis: server, run: load(instances) };
  }

  it('Redis killed mid-run: the calls it admitted still count in each fallback', async () => {
    const { redis, run } = await loadShared('killed');
    await until('calls admitted through Redis', () => run.admitted.length >= 2 * TPS);
    await redis.stop();
    await run.settled('fallback', Date.now(), 2 * TPS);
    const admitted = await run.stop();
    expect(maxPerSecond(admitted)).toBeLessThanOrEqual(TPS);
  });

  it('Redis killed while calls it admitted wait to go out: they count once serving alone', async () => {
    redis = await startRedis();
    instances = await fleet(redis.url, 'pending', 1);
    const { budget } = instances[0]!;
    const waiting = [];
    for (let i = 0; i < TPS; i++) waiting.push(await budget.admit(`client-${i}`, false));
    expect(waiting.every((admission) => admission.ok)).toBe(true);
    await redis.stop();
    // Longer than the fallback's own pause (a lease and a window): only the waiting calls hold it back.
    const watchUntil = performance.now() + 4_500;
    let admitted = 0;
    while (performance.now() < watchUntil) {
      if ((await budget.admit('latecomer', false)).ok) admitted++;
      await new Promise((resolve) => setTimeout(resolve, 100)); // the latecomer's pace
    }
    expect(budget.state().mode).toBe('fallback');
    expect(admitted).toBe(0);
    for (const admission of waiting) if (admission.ok) admission.sent();
    await until(
      'room once they have gone out and a window passed',
      async () => (await budget.admit('latecomer', false)).ok,
    );
  });

  it('one instance cut off from Redis while the other still shares: the other leaves it its share', async () => {
    const { run } = await loadShared('cut');
    const [sharer, cut] = instances as [Instance, Instance];
    await until('calls admitted through Redis', () => run.admitted.length >= 2 * TPS);
    cut.redis.disconnect(); // and it stays away until told to connect
    const before = run.byInstance[1]!;
    await until('it serves alone while the other shares', () =>
      cut.budget.state().mode === 'fallback' && sharer.budget.state().mode === 'shared'
        ? run.byInstance[1]! >= before + TPS
        : false,
    );
    await cut.redis.connect();
    await run.settled('shared', Date.now(), 2 * TPS);
    const admitted = await run.stop();
    expect(maxPerSecond(admitted)).toBeLessThanOrEqual(TPS);
  });

  it('Redis refusing writes (a replica after a failover): each serves alone, and keeps serving', async () => {
    const { redis, run } = await loadShared('replica');
    await until('calls admitted through Redis', () => run.admitted.length >= 2 * TPS);
    const admin = new Redis(redis.url);
    // Following a primary that is not there: it answers, but refuses every write.
    await admin.call('REPLICAOF', '127.0.0.1', String(await freePort()));
    admin.disconnect();
    await run.settled('fallback', Date.now(), 3 * TPS);
    const admitted = await run.stop();
    expect(maxPerSecond(admitted)).toBeLessThanOrEqual(TPS);
  });

  it('Redis restarted mid-run: the calls admitted alone count in Redis', async () => {
    const { redis, run } = await loadShared('restarted');
    await redis.stop();
    await run.settled('fallback', Date.now(), TPS);
    await redis.start();
    await run.settled('shared', Date.now(), 2 * TPS);
    const admitted = await run.stop();
    expect(maxPerSecond(admitted)).toBeLessThanOrEqual(TPS);
  });

  it('both started while Redis is down: each takes 1/BUDGET_INSTANCES, then they share', async () => {
    redis = await startRedis();
    await redis.stop();
    instances = await fleet(redis.url, 'cold');
    const run = load(instances);
    // Past the first window: each instance has had its whole share.
    await run.settled('fallback', Date.now() + 1_100, 2 * TPS);
    const alone = instances.map(({ budget }) => budget.state());
    await redis.start();
    await run.settled('shared', Date.now(), 2 * TPS);
    const admitted = await run.stop();
    expect(maxPerSecond(admitted)).toBeLessThanOrEqual(TPS);
    for (const state of alone) expect(state).toMatchObject({ mode: 'fallback', instances: 2 });
  });

  it('Redis too slow to answer on a saturated machine: what it admitted still counts', async () => {
    // Both cores kept busy, and Redis made to stall past the command timeout (250 ms) and a window.
    // (For 20 s at most, should this process die before it stops them.)
    const spin = 'const end = Date.now() + 20000; while (Date.now() < end) {}';
    const spinners = [0, 1].map(() => spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }));
    let admin: Redis | undefined;
    try {
      const { redis, run } = await loadShared('slow');
      admin = new Redis(redis.url);
      await until('calls admitted through Redis', () => run.admitted.length >= 2 * TPS);
      await admin.call('DEBUG', 'SLEEP', '1.2');
      // Admissions that ran after their callers gave up hold no place: calls resume well before such an
      // entry's pending time (10 s) would have run out.
      await run.settled('shared', Date.now(), TPS, 7_000);
      const admitted = await run.stop();
      // The stall did send instances to their fallback: the case under test happened.
      const fellBack = instances.flatMap(({ logs }) => logs).filter((line) => /Redis unreachable/.test(line));
      expect(fellBack.length).toBeGreaterThan(0);
      expect(maxPerSecond(admitted)).toBeLessThanOrEqual(TPS);
    } finally {
      admin?.disconnect();
      for (const spinner of spinners) spinner.kill('SIGKILL');
    }
  });
});

describe('the fleet size to assume (BUDGET_INSTANCES)', () => {
  const CLOUD = {
    CUSTOM_VISION_PREDICTION_ENDPOINT: 'https://demo.cognitiveservices.azure.com',
    CUSTOM_VISION_PREDICTION_KEY: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    CUSTOM_VISION_PROJECT_ID: '0f0f0f0f-1111-4222-8333-444455556666',
    CUSTOM_VISION_PUBLISHED_NAME: 'Iteration1',
  };
  const instancesOf = (env: Record<string, string>) =>
    customVisionOf(parseConfig({ ...CLOUD, ...env }, 2))?.budget.instances;

  it('is 2 with REDIS_URL unless set, and means nothing without it', () => {
    expect(instancesOf({ REDIS_URL: 'redis://redis:6379/0' })).toBe(2);
    expect(instancesOf({ REDIS_URL: 'redis://redis:6379/0', BUDGET_INSTANCES: '5' })).toBe(5);
    expect(instancesOf({ BUDGET_INSTANCES: '5' })).toBeUndefined();
  });

  it('reaches the server: started while Redis is down, it serves 1/BUDGET_INSTANCES and says so', async () => {
    const redis = await startRedis();
    await redis.stop();
    const fake = await startFakeCustomVision(PROJECT);
    try {
      const server = await startTestServer({
        CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
        CUSTOM_VISION_PREDICTION_KEY: fake.key,
        CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
        CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
        CUSTOM_VISION_TPS: '8',
        REDIS_URL: redis.url,
        BUDGET_INSTANCES: '4',
      });
      try {
        await until('it serves alone', async () => (await limiterOf(server)).mode === 'fallback');
        expect((await limiterOf(server)).detail).toMatch(/local budget of 2\/s \(1\/4 of 8\/s\)/);
      } finally {
        await server.close();
      }
    } finally {
      await fake.close();
    }
  });

  it('refuses anything but a whole number from 1, naming the variable', () => {
    for (const value of ['0', '1.5', 'two', '-1']) {
      expect(() => instancesOf({ REDIS_URL: 'redis://redis:6379/0', BUDGET_INSTANCES: value })).toThrow(
        /BUDGET_INSTANCES must be a whole number from 1 to 1000/,
      );
    }
  });
});
