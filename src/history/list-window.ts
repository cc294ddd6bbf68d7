// Arithmetic of a virtualised list with fixed-height rows: which rows to put in the DOM for a scroll
// position, where to scroll to reveal a row, and where keyboard keys move. Pure, so it is unit-tested.

/** Rows [start, end) to render. */
export interface ListWindow {
  readonly start: number;
  readonly end: number;
}

/** The rows in view, plus `overscan` rows either side so a quick scroll does not show blank space. */
export function visibleWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan: number,
): ListWindow {
  if (count <= 0 || rowHeight <= 0 || viewportHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + viewportHeight) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  return { start, end: Math.max(start, Math.min(count, last + overscan)) };
}

/** The scrollTop that brings row `index` fully into view, moving as little as possible. */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return Math.max(0, top + rowHeight - viewportHeight);
  return scrollTop;
}

/** The row a navigation key moves to from `index`, or undefined for other keys. */
export function keyTarget(
  key: string,
  index: number,
  count: number,
  rowsPerPage: number,
): number | undefined {
  if (count <= 0) return undefined;
  const clamp = (i: number) => Math.min(count - 1, Math.max(0, i));
  const page = Math.max(1, rowsPerPage);
  switch (key) {
    case 'ArrowDown':
      return clamp(index + 1);
    case 'ArrowUp':
      return clamp(index - 1);
    case 'PageDown':
      return clamp(index + page);
    case 'PageUp':
      return clamp(index - page);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}

/**
 * Where row `index` of the old list is in the new one, so the rows the user is looking at stay put when
 * records arrive at the top (newest first) or disappear: found by id, else the same index clamped.
 */
export function anchorIndex(oldIds: readonly number[], newIds: readonly number[], index: number): number {
  const id = oldIds[index];
  const found = id === undefined ? -1 : newIds.indexOf(id);
  if (found >= 0) return found;
  return Math.min(Math.max(0, newIds.length - 1), index);
}
