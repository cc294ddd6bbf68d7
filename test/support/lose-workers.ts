// Takes a worker pool's workers away (server/workers/worker-pool.ts, which the detector's and the exported
// models' pools run on), reaching into its internals: its worker threads, and how it starts one.

interface PoolInternals {
  readonly threads: {
    readonly slots: { readonly worker: { terminate(): Promise<number> } }[];
    spawn: () => Promise<void>;
  };
}

/**
 * From now on a replacement worker cannot load its model (a disk gone bad, say), failing with `reason`;
 * then the pool's first worker stops. Counts the replacements the pool tries.
 */
export async function loseWorkers(pool: object, reason: string): Promise<{ readonly spawnAttempts: number }> {
  const { threads } = pool as PoolInternals;
  const tried = { spawnAttempts: 0 };
  threads.spawn = () => {
    tried.spawnAttempts++;
    return Promise.reject(new Error(reason));
  };
  await threads.slots[0]!.worker.terminate();
  return tried;
}
