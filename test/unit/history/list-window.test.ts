import { describe, expect, it } from 'vitest';
import { anchorIndex, keyTarget, scrollToReveal, visibleWindow } from '../../../src/history/list-window.ts';

describe('visibleWindow', () => {
  it('renders the rows in view plus the overscan, within the list', () => {
    // 88 px rows, 440 px viewport: rows 0..4 visible at the top.
    expect(visibleWindow(0, 440, 88, 10_000, 4)).toEqual({ start: 0, end: 9 });
    // Scrolled to row 5000 (part-way into it): rows 5000..5005 visible, 4 either side.
    expect(visibleWindow(5_000 * 88 + 10, 440, 88, 10_000, 4)).toEqual({ start: 4_996, end: 5_010 });
    expect(visibleWindow(9_999 * 88, 440, 88, 10_000, 4)).toEqual({ start: 9_995, end: 10_000 });
  });

  it('keeps the DOM small however long the list is', () => {
    for (const count of [1_000, 10_000, 100_000]) {
      const { start, end } = visibleWindow(count * 44, 800, 88, count, 4);
      expect(end - start).toBeLessThanOrEqual(Math.ceil(800 / 88) + 1 + 8);
    }
  });

  it('renders nothing for an empty list or before the viewport is measured', () => {
    expect(visibleWindow(0, 440, 88, 0, 4)).toEqual({ start: 0, end: 0 });
    expect(visibleWindow(0, 0, 88, 50, 4)).toEqual({ start: 0, end: 0 });
  });
});

describe('scrollToReveal', () => {
  it('moves as little as needed to show a row fully', () => {
    expect(scrollToReveal(3, 0, 440, 88)).toBe(0); // already in view
    expect(scrollToReveal(5, 0, 440, 88)).toBe(6 * 88 - 440); // just below: bottom-align
    expect(scrollToReveal(2, 880, 440, 88)).toBe(176); // above: top-align
  });
});

describe('keyTarget', () => {
  it('moves by one, by a page, and to the ends, clamped to the list', () => {
    expect(keyTarget('ArrowDown', 0, 10, 4)).toBe(1);
    expect(keyTarget('ArrowUp', 0, 10, 4)).toBe(0);
    expect(keyTarget('PageDown', 8, 10, 4)).toBe(9);
    expect(keyTarget('PageUp', 5, 10, 4)).toBe(1);
    expect(keyTarget('Home', 5, 10, 4)).toBe(0);
    expect(keyTarget('End', 5, 10, 4)).toBe(9);
    expect(keyTarget('Enter', 5, 10, 4)).toBeUndefined(); // Enter is the button's own
    expect(keyTarget('ArrowDown', 0, 0, 4)).toBeUndefined();
  });
});

describe('anchorIndex', () => {
  it('follows a record when newer ones arrive above it or older ones vanish', () => {
    expect(anchorIndex([5, 4, 3, 2], [7, 6, 5, 4, 3, 2], 1)).toBe(3); // record 4 moved down two rows
    expect(anchorIndex([5, 4, 3, 2], [5, 3, 2], 2)).toBe(1);
    expect(anchorIndex([5, 4, 3, 2], [9, 8], 3)).toBe(1); // gone: same index, clamped
  });
});
