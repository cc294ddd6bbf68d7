// The upstream budget: a sliding window that no second ever exceeds, shared fairly between clients with
// an optional per-client cap; over budget, a 429 in Custom Vision's shape with Retry-After, before
// anything is sent upstream; the budget reported in /api/config.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Budget } from '../../server/limits/budget.ts';
import { MemoryWindowStore } from '../../server/limits/memory-store.ts';
import { createLogger } from '../../server/observability/logger.ts';
import { perSecond, windowFor, type AdmissionLimits } from '../../server/limits/windows.ts';
import { ADMISSION_WAIT_MS } from '../../server/routes/admission.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { hammer } from '../support/hammer.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image`;
const jpeg = fixtureBytes(FIXTURES.coffee);

/** Admits and, if admitted, sends at once (as a request that goes out immediately would). */
async function admitSent(store: MemoryWindowStore, client: string, stored: boolean, limits: AdmissionLimits) {
  const admission = await store.admit(client, stored, limits);
  if (admission.ok) await store.sent(admission.ticket, stored);
  return admission;
}

describe('the sliding window', () => {
  const limits = (all: number, store = all, clientCap = 0): AdmissionLimits => ({
    all: windowFor(all),
    store: windowFor(store),
    clientCap,
  });

  it('turns rates into whole counts per window, never rounding up', () => {
    expect(windowFor(20)).toEqual({ count: 20, windowMs: 1030 });
    expect(windowFor(7.5)).toEqual({ count: 7, windowMs: 1030 });
    expect(windowFor(0.5)).toEqual({ count: 1, windowMs: 2030 });
    expect(perSecond(windowFor(20))).toBe(19.41);
    expect(windowFor(10, 100)).toEqual({ count: 10, windowMs: 1100 }); // CUSTOM_VISION_BUDGET_MARGIN_MS=100
  });

  it('admits the budget, then says how long until the oldest admission leaves the window', async () => {
    let now = 0;
    const store = new MemoryWindowStore(() => now);
    for (let i = 0; i < 4; i++) {
      now = i * 100;
      expect((await admitSent(store, 'a', false, limits(4))).ok).toBe(true);
    }
    now = 500;
    expect(await admitSent(store, 'a', false, limits(4))).toMatchObject({
      ok: false,
      reason: 'client',
      retryAfterMs: 530,
    });
    now = 1100; // the first admission (at 0) has left the window
    expect((await admitSent(store, 'a', false, limits(4))).ok).toBe(true);
  });

  it('shares the budget fairly between active clients, and caps each client', async () => {
    let now = 0;
    const store = new MemoryWindowStore(() => now);
    const admitted = { a: 0, b: 0 };
    expect(await admitSent(store, 'b', false, limits(10))).toMatchObject({ ok: true, share: 10, active: 1 });
    admitted.b++;
    for (let i = 0; i < 20; i++) if ((await admitSent(store, 'a', false, limits(10))).ok) admitted.a++;
    expect(admitted.a).toBe(5); // half of 10 while b is active
    now = 10_000; // b has gone quiet: a alone again
    for (let i = 0; i < 20; i++) if ((await admitSent(store, 'a', false, limits(10))).ok) admitted.a++;
    expect(admitted.a).toBe(15);
    now = 20_000;
    const capped = [];
    for (let i = 0; i < 5; i++) capped.push((await admitSent(store, 'c', false, limits(10, 10, 2))).ok);
    expect(capped).toEqual([true, true, false, false, false]);
  });

  it('counts a prediction from when it was sent, holding its place while it waits to go out', async () => {
    let now = 0;
    const store = new MemoryWindowStore(() => now);
    const first = await store.admit('a', false, limits(1));
    expect(first.ok).toBe(true);
    now = 2_000; // not sent yet (a connection still opening): still in the window
    expect(await store.admit('b', false, limits(1))).toMatchObject({
      ok: false,
      reason: 'budget',
      retryAfterMs: 1_030,
    });
    await store.sent(first.ok ? first.ticket : '', false);
    now = 3_000;
    expect((await store.admit('b', false, limits(1))).ok).toBe(false);
    now = 3_030; // a full window after it was sent
    expect((await store.admit('b', false, limits(1))).ok).toBe(true);
  });

  it('counts an admitted call that waits long to go out for as long as the limits say', async () => {
    let now = 0;
    const store = new MemoryWindowStore(() => now);
    const waiting = await store.admit('a', false, { ...limits(1), pendingMs: 31_000 });
    expect(waiting.ok).toBe(true); // admitted, then waits for a connection (not sent yet)
    now = 20_000;
    expect((await store.admit('b', false, { ...limits(1), pendingMs: 31_000 })).ok).toBe(false);
    const other = new MemoryWindowStore(() => now); // the default: 10 s
    now = 0;
    await other.admit('a', false, limits(1));
    now = 20_000;
    expect((await other.admit('b', false, limits(1))).ok).toBe(true);
  });

  it('counts stored predictions against both limits', async () => {
    const store = new MemoryWindowStore(() => 0);
    const results = [];
    for (let i = 0; i < 4; i++) results.push((await admitSent(store, 'a', true, limits(4, 2))).ok);
    expect(results).toEqual([true, true, false, false]);
    expect((await admitSent(store, 'a', false, limits(4, 2))).ok).toBe(true);
  });
});

describe('the budget reported to clients', () => {
  const budget = (perClientTps?: number) =>
    new Budget({
      figures: () => ({ nostorePerSecond: 10, storePerSecond: 10, basis: 'test' }),
      ...(perClientTps !== undefined ? { perClientTps } : {}),
      scope: 'test',
      log: createLogger('silent', () => undefined),
    });

  it('reports PER_CLIENT_TPS as the rate its window admits, for clients to pace to', () => {
    // 2.5/s is admitted as 2 per 1.03 s: a client pacing to 2.5 would be refused again and again.
    expect(budget(2.5).reported()).toMatchObject({ nostorePerSecond: 9.7, perClientPerSecond: 1.94 });
    expect(budget().reported()).not.toHaveProperty('perClientPerSecond');
  });
});

/** A fake upstream and a server with a budget of 6/s, clients told apart by X-Forwarded-For. */
function budgetServer() {
  const setup = {
    fake: undefined as unknown as FakeCustomVision,
    server: undefined as unknown as TestServer,
  };
  beforeAll(async () => {
    setup.fake = await startFakeCustomVision(PROJECT);
    setup.server = await startTestServer({
      CUSTOM_VISION_PREDICTION_ENDPOINT: setup.fake.url,
      CUSTOM_VISION_PREDICTION_KEY: setup.fake.key,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
      CUSTOM_VISION_TPS: '6',
      TRUST_PROXY: '1',
    });
  });
  afterAll(async () => {
    await setup.server?.close();
    await setup.fake?.close();
  });
  return setup;
}

describe('the budget in the server', () => {
  const setup = budgetServer();

  it('reports the budget in /api/config', async () => {
    const config = (await (await fetch(`${setup.server.url}/api/config`)).json()) as { budget: unknown };
    // What the window admits (6 per 1.03 s), so that clients pace themselves under it.
    expect(config.budget).toEqual({
      nostorePerSecond: 5.82,
      storePerSecond: 5.82,
      basis: 'CUSTOM_VISION_TPS',
      upstreamPerSecond: { nostore: 6, store: 6 },
      sharing: 'local',
    });
  });

  it('refuses a burst beyond the budget with 429 and Retry-After, before anything reaches the upstream', async () => {
    const before = setup.fake.requests.length;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${setup.server.url}${ROUTE}/nostore`, {
          method: 'POST',
          body: jpeg,
          headers: { 'X-Forwarded-For': '10.0.0.1' },
        }).then(async (res) => ({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          text: await res.text(),
        })),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(6);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(14);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(r.text)).toMatchObject({
        code: '429',
        message: expect.stringMatching(/Please retry after \d+ seconds?\./) as unknown,
      });
    }
    expect(setup.fake.requests.length - before).toBe(6);
  });

  it('never lets more than the budget reach the upstream in any one second, under sustained load', async () => {
    const before = setup.fake.requests.length;
    const since = Date.now();
    // Two greedy clients (a client of the test before may still count as active for a few seconds).
    const results = await Promise.all(
      ['10.0.0.2', '10.0.0.5'].map((address) =>
        hammer([`${setup.server.url}${ROUTE}/nostore`], {
          ms: 3_000,
          concurrency: 5,
          headers: { 'X-Forwarded-For': address },
        }),
      ),
    );
    const served = results.reduce((sum, counts) => sum + (counts[200] ?? 0), 0);
    expect(served).toBeGreaterThanOrEqual(10);
    for (const counts of results) expect(Object.keys(counts).sort()).toEqual(['200', '429']);
    expect(setup.fake.maxPerSecond(since)).toBeLessThanOrEqual(6);
    expect(setup.fake.requests.length - before).toBe(served);
  });
});

describe('a request a little early for the budget', () => {
  const setup = budgetServer();
  const until = (at: number) =>
    new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

  it('waits for room that comes within a moment instead of refusing; room further off is refused', async () => {
    const since = Date.now();
    const post = () =>
      fetch(`${setup.server.url}${ROUTE}/nostore`, {
        method: 'POST',
        body: jpeg,
        headers: { 'X-Forwarded-For': '10.0.0.5' },
      }).then(async (res) => ({
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        text: await res.text(),
      }));
    const budget = await Promise.all(Array.from({ length: 6 }, post));
    expect(budget.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // All six went out before their answers came back, so the window has room again by this + 1030 ms.
    const filledAt = performance.now();
    await until(filledAt + 500); // room is half a second off: far beyond what is worth waiting for
    expect(await post()).toMatchObject({ status: 429, retryAfter: '1' });
    await until(filledAt + 1030 - ADMISSION_WAIT_MS / 2); // room within the wait: served, a moment late
    expect((await post()).status).toBe(200);
    expect(setup.fake.maxPerSecond(since)).toBeLessThanOrEqual(6);
  });
});

describe('fair shares', () => {
  const setup = budgetServer();

  it('serves a modest client every time once the greedy one is held to its share (within a window)', async () => {
    const url = `${setup.server.url}${ROUTE}/nostore`;
    // The first burst opens the upstream connections, which spreads its arrival; count from the second.
    const warm = Date.now() + 1_200;
    const greedy = hammer([url], { ms: 4_000, concurrency: 6, headers: { 'X-Forwarded-For': '10.0.0.3' } });
    // The greedy client, alone, may take the whole budget; the modest one's first requests can find the
    // window full, and are told when to come back. From the next window on, shares hold.
    const started = performance.now();
    const modest: { at: number; status: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const at = performance.now() - started;
      const res = await fetch(url, {
        method: 'POST',
        body: jpeg,
        headers: { 'X-Forwarded-For': '10.0.0.4' },
      });
      await res.arrayBuffer();
      modest.push({ at, status: res.status });
      await new Promise((resolve) => setTimeout(resolve, 450)); // the modest client's own pace: 2 a second
    }
    const greedyCounts = await greedy;
    expect(modest.filter((m) => m.at > 1_100).map((m) => m.status)).toEqual(
      modest.filter((m) => m.at > 1_100).map(() => 200),
    );
    expect(modest.filter((m) => m.at > 1_100).length).toBeGreaterThanOrEqual(4);
    expect(greedyCounts[429]).toBeGreaterThan(0);
    expect(setup.fake.maxPerSecond(warm)).toBeLessThanOrEqual(6);
  });
});
