// Several instances behind a load balancer share one budget through a real redis-server (Debian's
// package; .ci/run installs it, and these tests fail, saying so, when it is missing). Together they never
// exceed it; when Redis goes away mid-run each keeps serving within its share and says so in its health
// output, and they share again when Redis is back.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisWindowStore } from '../../server/limits/redis-store.ts';
import { windowFor } from '../../server/limits/windows.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { hammer } from '../support/hammer.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
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

async function until(what: string, condition: () => Promise<boolean>, ms = 15_000): Promise<void> {
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
    const counts = await hammer(
      servers.map((server) => `${server.url}${ROUTE}`),
      { ms: 3_000, concurrency: 8 },
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
