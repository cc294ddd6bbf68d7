import { describe, expect, it } from 'vitest';
import { LruCache } from '../../../src/history/lru-cache.ts';

describe('LruCache', () => {
  it('keeps at most its capacity, evicting the least recently used and handing it to onEvict', () => {
    const evicted: string[] = [];
    const cache = new LruCache<number, string>(2, (value) => evicted.push(value));
    cache.set(1, 'one');
    cache.set(2, 'two');
    expect(cache.get(1)).toBe('one'); // 1 is now the most recently used
    cache.set(3, 'three');
    expect(evicted).toEqual(['two']);
    expect([cache.has(1), cache.has(2), cache.has(3)]).toEqual([true, false, true]);
    expect(cache.size).toBe(2);
  });

  it('peek does not count as use', () => {
    const cache = new LruCache<number, string>(2);
    cache.set(1, 'one');
    cache.set(2, 'two');
    expect(cache.peek(1)).toBe('one');
    cache.set(3, 'three');
    expect(cache.has(1)).toBe(false);
  });

  it('releases a replaced value, but not when the same value is set again', () => {
    const evicted: string[] = [];
    const cache = new LruCache<number, string>(3, (value) => evicted.push(value));
    cache.set(1, 'old');
    cache.set(1, 'new');
    cache.set(1, 'new');
    expect(evicted).toEqual(['old']);
  });

  it('releases everything on delete and clear', () => {
    const evicted: number[] = [];
    const cache = new LruCache<string, number>(5, (value) => evicted.push(value));
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    cache.clear();
    expect(evicted).toEqual([1, 2, 3]);
    expect(cache.size).toBe(0);
  });

  it('refuses a capacity below one', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
