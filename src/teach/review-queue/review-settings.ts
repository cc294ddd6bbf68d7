// The review queue's setting, remembered on this device apart from the camera settings: off unless the
// person turns it on (collecting frames uses storage and a little time after each answer).
export interface ReviewSettings {
  readonly enabled: boolean;
  readonly maxPerHour: number;
}

export const DEFAULT_REVIEW_SETTINGS: ReviewSettings = { enabled: false, maxPerHour: 20 };

const KEY = 'sightline.review.v1';

export function loadReviewSettings(
  storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage,
): ReviewSettings {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return DEFAULT_REVIEW_SETTINGS;
    const { enabled, maxPerHour } = raw as Record<string, unknown>;
    return {
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
