// Tells the history view when records were added or removed, by another part of this page or by another
// tab. Two sources, because neither is enough alone: the writer posts {type:'added'} on a BroadcastChannel
// (immediate, but only from code that posts), and a poll of the store's counts every few seconds catches
// everything else (a writer that did not post, retention, another browser tab without BroadcastChannel).

export const HISTORY_CHANNEL = 'sightline-history';

/** What the history's writers and views post on the channel. */
export type HistoryMessage =
  | { readonly type: 'added'; readonly id?: number }
  | { readonly type: 'deleted' }
  | { readonly type: 'cleared' };

export interface WatchOptions {
  /** The store's counts: a change in them means the history changed. */
  readonly stats: () => Promise<{ readonly count: number; readonly bytes: number }>;
  readonly onChange: () => void;
  /** How often to poll while the page is visible (default 3 s); 0 turns polling off. */
  readonly intervalMs?: number;
  /** Polling pauses while this says false (default: the document is visible). */
  readonly isVisible?: () => boolean;
  /**
   * Polling (whose first answer is the baseline) starts once this settles: the view's first read, which
   * should not share the disk. Messages are listened to from the start, so a record written meanwhile is
   * not taken into the baseline unseen.
   */
  readonly pollAfter?: Promise<unknown>;
}

export const DEFAULT_WATCH_INTERVAL_MS = 3_000;

const isHistoryMessage = (data: unknown): data is HistoryMessage =>
  typeof data === 'object' &&
  data !== null &&
  ['added', 'deleted', 'cleared'].includes((data as { type?: unknown }).type as string);

/** Tells other tabs' views (and this page's other listeners) that the history changed. */
export function announce(message: HistoryMessage): void {
  if (typeof BroadcastChannel !== 'function') return;
  const channel = new BroadcastChannel(HISTORY_CHANNEL);
  channel.postMessage(message);
  channel.close();
}

/** Starts watching; returns the function that stops it (closing the channel and the timer). */
export function watchHistory(options: WatchOptions): () => void {
  const intervalMs = options.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS;
  const isVisible = options.isVisible ?? (() => typeof document === 'undefined' || !document.hidden);
  let last: string | undefined;
  let stopped = false;
  let polling = false;

  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(HISTORY_CHANNEL) : undefined;
  channel?.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (!stopped && isHistoryMessage(event.data)) options.onChange();
  });

  const poll = async () => {
    if (polling || stopped || !isVisible()) return;
    polling = true;
    try {
      const { count, bytes } = await options.stats();
      const signature = `${count}:${bytes}`;
      // The first answer is the baseline: the view has just loaded what it shows.
      if (last !== undefined && signature !== last && !stopped) options.onChange();
      last = signature;
    } catch {
      // The database is being re-opened (another tab upgraded it): the next poll will tell.
    } finally {
      polling = false;
    }
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  void (options.pollAfter ?? Promise.resolve())
    .catch(() => undefined)
    .then(() => {
      if (stopped) return;
      void poll();
      if (intervalMs > 0) timer = setInterval(() => void poll(), intervalMs);
    });

  return () => {
    stopped = true;
    if (timer !== undefined) clearInterval(timer);
    channel?.close();
  };
}
