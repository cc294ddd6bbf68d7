// The review queue's setting, remembered on this device apart from the camera settings: off unless the
// person turns it on (collecting frames uses storage and a little time after each answer).
export interface ReviewSettings {
  readonly enabled: boolean;
  readonly maxPerHour: number;
  /** A frame whose best probability is inside [low, high] is one the model was unsure of. */
  readonly band: { readonly low: number; readonly high: number };
}

export const DEFAULT_REVIEW_SETTINGS: ReviewSettings = {
  enabled: false,
  maxPerHour: 20,
  band: { low: 0.3, high: 0.6 },
};

const isFraction = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1;

const KEY = 'sightline.review.v1';

export function loadReviewSettings(
  storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage,
): ReviewSettings {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return DEFAULT_REVIEW_SETTINGS;
    const { enabled, maxPerHour, band } = raw as Record<string, unknown>;
    const { low, high } = (typeof band === 'object' && band !== null ? band : {}) as Record<string, unknown>;
    return {
      band: isFraction(low) && isFraction(high) && low < high ? { low, high } : DEFAULT_REVIEW_SETTINGS.band,
      enabled: enabled === true,
      maxPerHour:
        typeof maxPerHour === 'number' && Number.isInteger(maxPerHour) && maxPerHour >= 1 && maxPerHour <= 600
          ? maxPerHour
          : DEFAULT_REVIEW_SETTINGS.maxPerHour,
    };
  } catch {
    return DEFAULT_REVIEW_SETTINGS; // a hand-edited or foreign entry must not break start-up
  }
}

export function saveReviewSettings(
  settings: ReviewSettings,
  storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage,
): void {
  try {
    storage?.setItem(KEY, JSON.stringify(settings));
  } catch {
    // Storage full or refused: the setting lasts for this page only.
  }
}
