// The user's choices, remembered in localStorage: camera, resolution, threshold, tag filter, display.
// Typed, versioned, and validated on the way in, so a stale or hand-edited entry can never break start-up.
import type { FitMode } from '../overlay/geometry.ts';
import { INFERENCE_MODES, type InferenceMode } from '../device/inference-router.ts';

export interface Settings {
  /** The chosen camera, when the user picked one. */
  deviceId: string | undefined;
  facing: 'environment' | 'user' | undefined;
  /** Ideal capture resolution. */
  width: number;
  height: number;
  /** Predictions below this probability are not shown (0..1). */
  threshold: number;
  /** Tags to show; empty shows all. */
  tagFilter: string[];
  fit: FitMode;
  /** Mirror the preview: undefined means automatic (mirrored for a user-facing camera). */
  mirror: boolean | undefined;
  /** Anti-flicker hold and fade. */
  smoothing: boolean;
  holdMs: number;
  fadeMs: number;
  /** User cap on frames sent per second; 0 for none (the server's budget still applies). */
  fpsCap: number;
  /** Send frames to Custom Vision's stored route so they appear in the portal for labelling. */
  storeFrames: boolean;
  showHud: boolean;
  /** Longer side of the frames sent, in pixels, and their JPEG quality. */
  frameSize: number;
  jpegQuality: number;
  /** Keep detection events in the on-device history. */
  historyEnabled: boolean;
  /** While the same tags stay in view, record again after this many ms (0: only on changes). */
  historyIntervalMs: number;
  /** Where frames are answered: the server (cloud), this device, or the device when the server is gone. */
  inferenceMode: InferenceMode;
  /**
   * The chosen model when the server serves several, as `<projectId>/<publishedName>` (see modelKey);
   * undefined, or a model the server no longer serves: the server's first.
   */
  model: string | undefined;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  deviceId: undefined,
  facing: undefined,
  width: 1280,
  height: 720,
  threshold: 0.4,
  tagFilter: [],
  fit: 'cover',
  mirror: undefined,
  smoothing: true,
  holdMs: 500,
  fadeMs: 400,
  fpsCap: 0,
  storeFrames: false,
  showHud: false,
  frameSize: 512,
  jpegQuality: 0.8,
  historyEnabled: true,
  historyIntervalMs: 10_000,
  inferenceMode: 'cloud',
  model: undefined,
};

const STORAGE_KEY = 'sightline.settings.v1';

const isNumberIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;

/** Keeps only well-formed fields of `raw`, taking the rest from `fallback` (the defaults). */
export function sanitizeSettings(raw: unknown, fallback: Readonly<Settings> = DEFAULT_SETTINGS): Settings {
  const input = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const pick = <K extends keyof Settings>(key: K, valid: (value: unknown) => boolean): Settings[K] =>
    valid(input[key]) ? (input[key] as Settings[K]) : fallback[key];
  return {
    deviceId: pick('deviceId', (v) => typeof v === 'string' && v.length > 0 && v.length < 512),
    facing: pick('facing', (v) => v === 'environment' || v === 'user'),
    width: pick('width', (v) => isNumberIn(v, 160, 7680)),
    height: pick('height', (v) => isNumberIn(v, 120, 4320)),
    threshold: pick('threshold', (v) => isNumberIn(v, 0, 1)),
    tagFilter: Array.isArray(input.tagFilter)
      ? input.tagFilter.filter((t): t is string => typeof t === 'string' && t.length > 0).slice(0, 500)
      : fallback.tagFilter,
    fit: pick('fit', (v) => v === 'cover' || v === 'contain'),
    mirror: pick('mirror', (v) => typeof v === 'boolean'),
    smoothing: pick('smoothing', (v) => typeof v === 'boolean'),
    holdMs: pick('holdMs', (v) => isNumberIn(v, 0, 10_000)),
    fadeMs: pick('fadeMs', (v) => isNumberIn(v, 0, 10_000)),
    fpsCap: pick('fpsCap', (v) => isNumberIn(v, 0, 60)),
    storeFrames: pick('storeFrames', (v) => typeof v === 'boolean'),
    showHud: pick('showHud', (v) => typeof v === 'boolean'),
    frameSize: pick('frameSize', (v) => isNumberIn(v, 256, 1920)),
    jpegQuality: pick('jpegQuality', (v) => isNumberIn(v, 0.3, 1)),
    historyEnabled: pick('historyEnabled', (v) => typeof v === 'boolean'),
    historyIntervalMs: pick('historyIntervalMs', (v) => isNumberIn(v, 0, 3_600_000)),
    inferenceMode: pick('inferenceMode', (v) => INFERENCE_MODES.includes(v as InferenceMode)),
    model: pick('model', (v) => typeof v === 'string' && v.includes('/') && v.length < 512),
  };
}

export function loadSettings(
  storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage,
): Settings {
  try {
    return sanitizeSettings(JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null'));
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(
  settings: Settings,
  storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage,
): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Private mode or a full quota: the choice holds for this session only, which is acceptable.
  }
}

/**
 * Settings given in the page's URL, e.g. `?threshold=0.6&tags=person,cup&fit=contain&mirror=1`, so a
 * screen can be set up by a bookmark. Only recognised, valid values are taken.
 */
export function settingsFromUrl(search: string, base: Settings): Settings {
  const params = new URLSearchParams(search);
  const raw: Record<string, unknown> = { ...base };
  const number = (name: string) => (params.has(name) ? Number(params.get(name)) : undefined);
  const flag = (name: string) =>
    params.has(name) ? ['1', 'true', 'yes', 'on'].includes(params.get(name)!.toLowerCase()) : undefined;
  if (params.has('camera')) raw.deviceId = params.get('camera');
  if (params.has('facing')) raw.facing = params.get('facing');
  if (params.has('threshold')) raw.threshold = number('threshold');
  if (params.has('tags'))
    raw.tagFilter = params
      .get('tags')!
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  if (params.has('fit')) raw.fit = params.get('fit');
  if (params.has('mirror')) raw.mirror = flag('mirror');
  if (params.has('smoothing')) raw.smoothing = flag('smoothing');
  if (params.has('fps')) raw.fpsCap = number('fps');
  if (params.has('hud')) raw.showHud = flag('hud');
  if (params.has('mode')) raw.inferenceMode = params.get('mode');
  if (params.has('model')) raw.model = params.get('model');
  if (params.has('width')) raw.width = number('width');
  if (params.has('height')) raw.height = number('height');
  if (params.has('history')) raw.historyEnabled = flag('history');
  if (params.has('historyInterval')) raw.historyIntervalMs = Number(params.get('historyInterval')) * 1000;
  return sanitizeSettings(raw, base);
}
