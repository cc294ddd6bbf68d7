// The app's one history database connection, opened on first use and shared by every part of the page.
// When another tab upgrades the schema this connection steps aside (see HistoryStore.open) and the next
// call opens a fresh one, so two open tabs neither hang nor corrupt anything.
import { HistoryStore } from './history-store.ts';
import { DEFAULT_RETENTION } from './history-types.ts';

let storePromise: Promise<HistoryStore> | undefined;

export function historyStore(): Promise<HistoryStore> {
  storePromise ??= HistoryStore.open({
    limits: DEFAULT_RETENTION,
    onBlocking: () => (storePromise = undefined),
    onTerminated: () => (storePromise = undefined),
  }).catch((error: unknown) => {
    storePromise = undefined; // let the next call try again
    throw error;
  });
  return storePromise;
}

/** Asks the browser to keep the history when storage runs low; returns whether it agreed. */
export async function requestPersistence(): Promise<boolean> {
  if (!navigator.storage?.persist) return false;
  if (await navigator.storage.persisted()) return true;
  return navigator.storage.persist();
}

export async function storageEstimate(): Promise<{ usage: number; quota: number } | undefined> {
  const estimate = await navigator.storage?.estimate?.();
  return estimate ? { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0 } : undefined;
}
