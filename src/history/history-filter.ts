// The history view's filter: what the form holds (a tag and datetime-local values) and the store's
// filter made from it.
import type { HistoryFilter } from './history-types.ts';
import { parseLocalDateTime } from './history-format.ts';

/** The filter as the form holds it: a tag ('' for all) and datetime-local values ('' for open-ended). */
export interface FilterValue {
  readonly tag: string;
  readonly from: string;
  readonly to: string;
}

export const NO_FILTER: FilterValue = { tag: '', from: '', to: '' };

export const isFiltered = (filter: FilterValue) => Boolean(filter.tag || filter.from || filter.to);

/** The store's filter for the form's values, or undefined when the range is empty (from after to). */
export function toHistoryFilter(value: FilterValue): HistoryFilter | undefined {
  const from = parseLocalDateTime(value.from);
  let to = parseLocalDateTime(value.to);
  // A datetime-local value names a minute (or a second): "to 10:00" includes what happened during 10:00.
  if (to !== undefined) to += value.to.length > 16 ? 999 : 59_999;
  if (from !== undefined && to !== undefined && from > to) return undefined;
  return {
    ...(value.tag ? { tags: [value.tag] } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  };
}
