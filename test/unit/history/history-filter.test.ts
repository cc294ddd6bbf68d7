import { describe, expect, it } from 'vitest';
import { isFiltered, NO_FILTER, toHistoryFilter } from '../../../src/history/history-filter.ts';
import { formatBytes, parseLocalDateTime, tagSummary } from '../../../src/history/history-format.ts';

describe('toHistoryFilter', () => {
  it('turns the form into the store filter: a tag, and a local-time range whose end minute is included', () => {
    expect(toHistoryFilter(NO_FILTER)).toEqual({});
    expect(isFiltered(NO_FILTER)).toBe(false);
    const value = { tag: 'cup', from: '2026-11-27T09:30', to: '2026-11-27T10:00' };
    expect(isFiltered(value)).toBe(true);
    expect(toHistoryFilter(value)).toEqual({
      tags: ['cup'],
      from: new Date(2026, 10, 27, 9, 30).getTime(),
      to: new Date(2026, 10, 27, 10, 0, 59, 999).getTime(),
    });
    expect(toHistoryFilter({ tag: '', from: '', to: '2026-11-27T10:00:30' })).toEqual({
      to: new Date(2026, 10, 27, 10, 0, 30, 999).getTime(),
    });
  });

  it('says when the range is empty rather than asking the store for an impossible one', () => {
    expect(toHistoryFilter({ tag: '', from: '2026-11-27T11:00', to: '2026-11-27T10:00' })).toBeUndefined();
  });
});

describe('history text', () => {
  it('lists each tag once at its best probability, most likely first', () => {
    expect(
      tagSummary([
        { tagName: 'cup', tagId: 'c', probability: 0.4 },
        { tagName: 'person', tagId: 'p', probability: 0.91 },
        { tagName: 'cup', tagId: 'c', probability: 0.87 },
      ]),
    ).toBe('person 91%, cup 87%');
    expect(tagSummary([])).toBe('Nothing detected');
  });

  it('formats byte counts and parses datetime-local values', () => {
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(1_500)).toBe('1.5 kB');
    expect(formatBytes(210_000_000)).toBe('210 MB');
    expect(parseLocalDateTime('')).toBeUndefined();
    expect(parseLocalDateTime('not a date')).toBeUndefined();
  });
});
