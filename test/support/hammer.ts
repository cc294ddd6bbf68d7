// Sends predictions as fast as `concurrency` loops can for `ms`, counting answers by status: the load the
// budget tests put on servers. Bounded in time and count, and aimed at loopback only.
import { FIXTURES, fixtureBytes } from './fixtures.ts';

const jpeg = fixtureBytes(FIXTURES.coffee);

export async function hammer(
  urls: readonly string[],
  { ms, concurrency, headers = {} }: { ms: number; concurrency: number; headers?: Record<string, string> },
): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; performance.now() < until && i < 100_000; i++) {
        const url = urls[(loop + i) % urls.length]!;
        const res = await fetch(url, { method: 'POST', body: jpeg, headers });
        await res.arrayBuffer();
        counts[res.status] = (counts[res.status] ?? 0) + 1;
      }
    }),
  );
  return counts;
}
