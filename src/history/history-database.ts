// The app's one history database connection, opened on first use and shared by every part of the page.
// When another tab upgrades the schema this connection steps aside (see HistoryStore.open) and the next
// call opens a fresh one, so two open tabs neither hang nor corrupt anything.
import { HistoryStore } from './history-store.ts';
import { DEFAULT_RETENTION, type RetentionLimits } from './history-types.ts';

let storePromise: Promise<HistoryStore> | undefined;
let limits: RetentionLimits = DEFAULT_RETENTION;

export function historyStore(): Promise<HistoryStore> {
  storePromise ??= HistoryStore.open({
    limits,
    onBlocking: () => (storePromise = undefined),
    onTerminated: () => (storePromise = undefined),
  }).catch((error: unknown) => {
    storePromise = undefined; // let the next call try again
    throw error;
  });
  return storePromise;
}

export async function setRetention(next: RetentionLimits): Promise<void> {
  limits = next;
  (await historyStore()).setLimits(next);
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
