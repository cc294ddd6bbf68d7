// Text for the history view: times, byte counts, and a record's tags in one line.
import type { Prediction } from '../api/prediction-types.ts';
import type { RecordReason } from './history-types.ts';
import { formatPercent } from '../overlay/draw.ts';

// One formatter each, made once: the list formats a time per visible row on every scroll.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatTime(time: number): string {
  return dateTime.format(time);
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} ${units[0]}` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatCount(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** "cup 87%, person 54%": each tag once at its best probability, most likely first. */
export function tagSummary(predictions: readonly Prediction[]): string {
  const best = new Map<string, number>();
  for (const p of predictions) best.set(p.tagName, Math.max(p.probability, best.get(p.tagName) ?? 0));
  if (best.size === 0) return 'Nothing detected';
  return [...best]
    .sort((a, b) => b[1] - a[1])
    .map(([tag, probability]) => `${tag} ${formatPercent(probability)}`)
    .join(', ');
}

export const REASON_TEXT: Readonly<Record<RecordReason, string>> = {
  'tags-changed': 'Change in view',
  interval: 'Still in view',
  snapshot: 'Snapshot',
};

/** A datetime-local input's value as ms since the epoch (local time), or undefined when empty/invalid. */
export function parseLocalDateTime(value: string): number | undefined {
  if (!value) return undefined;
  const time = new Date(value).getTime();
  return Number.isNaN(time) ? undefined : time;
}
