// The admission rule shared by both stores (memory and Redis): a sliding-window log. A prediction is
// admitted only if fewer than `count` are in the last `windowMs`, for the caller (its fair share of the
// budget) and for the whole server (the budget). Unlike fixed windows, which let twice the budget through
// across a window boundary, no stretch of one second ever holds more than the budget: that is what keeps
// Custom Vision from answering 429.
//
// In the server's windows a prediction counts from the moment it is *sent*, not admitted: it is entered as
// pending (counting, with no time yet) and stamped when its request is handed to a connection, which
// writes it at once (server/upstreams/http-post.ts). A loaded event loop or a
// connection still opening can delay a request after its admission by hundreds of milliseconds; timed from
// the send, such delays cannot bunch requests up at the upstream.

export interface WindowLimit {
  readonly count: number;
  readonly windowMs: number;
}

export interface AdmissionLimits {
  /** Every prediction (Custom Vision's "without storage" rate, the higher one). */
  readonly all: WindowLimit;
  /** Stored predictions also count against this ("with storage" rate). */
  readonly store: WindowLimit;
  /** A fixed per-client cap (PER_CLIENT_TPS), as a count per `all.windowMs`; 0 for none. */
  readonly clientCap: number;
  /**
   * How long an admitted call counts as pending before it is sent (default PENDING_MS): at least as long
   * as a call may wait for a connection, or it would stop counting before it goes out.
   */
  readonly pendingMs?: number;
}

export type Admission =
  | {
      readonly ok: true;
      readonly share: number;
      readonly active: number;
      /** Names the pending entry, for sent(). */
      readonly ticket: string;
      /** When it was admitted by the store's clock (Redis's), in ms since the epoch, where known. */
      readonly at?: number;
    }
  | {
      readonly ok: false;
      readonly reason: 'client' | 'budget';
      readonly retryAfterMs: number;
      readonly share: number;
      readonly active: number;
    };

export interface WindowStore {
  admit(clientId: string, store: boolean, limits: AdmissionLimits): Promise<Admission>;
  /** Stamps an admitted prediction with the time its request went out (from then on it ages normally). */
  sent(ticket: string, store: boolean, limits: AdmissionLimits): Promise<void>;
}

/**
 * A pending entry that is never stamped (its process died) stops counting after this long, unless the
 * limits say longer (a Custom Vision timeout above it: see AdmissionLimits.pendingMs).
 */
export const PENDING_MS = 10_000;

/**
 * Requests sent a full second apart can still reach Azure less than a second apart (the network's own
 * jitter: the difference between two requests' transit times, not the transit time itself); a window
 * 30 ms longer absorbs that while leaving 97% of the tier usable. /api/config reports the rate this
 * admits, so clients pace themselves to it. (A 100 ms margin cost clients a tenth of the tier.) Whether
 * Azure's own limiter needs more is not documented: CUSTOM_VISION_BUDGET_MARGIN_MS raises it.
 */
export const JITTER_MARGIN_MS = 30;

/**
 * Predictions per second as a whole count per window: 7.5/s is 7 per 1.03 s, 0.5/s is 1 per 2.03 s (with
 * the default margin; CUSTOM_VISION_BUDGET_MARGIN_MS sets another).
 */
export function windowFor(perSecond: number, marginMs = JITTER_MARGIN_MS): WindowLimit {
  if (perSecond >= 1) return { count: Math.floor(perSecond), windowMs: 1000 + marginMs };
  return { count: 1, windowMs: Math.round(1000 / perSecond) + marginMs };
}

/** The rate a window admits, per second, to two decimals. */
export const perSecond = (limit: WindowLimit) => Math.floor((limit.count * 100_000) / limit.windowMs) / 100;

/**
 * A client counts as active (sharing the budget) if it asked within this long: long enough for a camera
 * loop that backs off for a second, short enough that a client gone quiet soon stops holding a share.
 */
export const ACTIVE_MS = 2_000;

/** Predictions per second the upstream can take, so clients pace themselves (reported in /api/config). */
export interface PredictionBudget {
  readonly nostorePerSecond: number;
  readonly storePerSecond: number;
  /** Where the figure comes from, for people: a tier, an override, or measured capacity. */
  readonly basis: string;
  /** How much longer than a second the budget's window is, for network jitter (default JITTER_MARGIN_MS). */
  readonly marginMs?: number;
}
