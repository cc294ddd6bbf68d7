import { describe, expect, it } from 'vitest';
import {
  hashTagName,
  relativeLuminance,
  TAG_PALETTE,
  tagColor,
  textColorFor,
} from '../../../src/overlay/tag-colors.ts';

const contrast = (a: string, b: string): number => {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

describe('hashTagName', () => {
  it('is 32-bit FNV-1a (published test vectors)', () => {
    expect(hashTagName('')).toBe(0x811c9dc5);
    expect(hashTagName('a')).toBe(0xe40c292c);
    expect(hashTagName('foobar')).toBe(0xbf9cf968);
  });
});

describe('tagColor', () => {
  it('gives the same palette colour for the same tag, every time', () => {
    for (const name of ['person', 'dog', 'Hard hat', 'café', '']) {
      const color = tagColor(name);
      expect(TAG_PALETTE).toContain(color);
      expect(tagColor(name)).toBe(color);
      expect(tagColor(name.slice())).toBe(color);
    }
  });

  it('is pinned, so saved history and other sessions keep their colours', () => {
    // Changing the hash or the palette order would recolour every tag users have learned: do not.
    expect(tagColor('person')).toBe('#EE3377');
    expect(tagColor('dog')).toBe('#56B4E9');
    expect(tagColor('cup')).toBe('#FFFFFF');
  });

  it('spreads tags over the palette', () => {
    const names = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck', 'dog', 'cat', 'bird', 'horse'];
    const more = ['cup', 'bottle', 'chair', 'laptop', 'phone', 'book', 'clock', 'vase', 'scissors', 'apple'];
    const used = new Set([...names, ...more].map(tagColor));
    expect(used.size).toBeGreaterThanOrEqual(8);
  });
});

describe('TAG_PALETTE', () => {
  it('has about a dozen distinct #RRGGBB colours', () => {
    expect(TAG_PALETTE.length).toBe(12);
    expect(new Set(TAG_PALETTE.map((c) => c.toUpperCase())).size).toBe(TAG_PALETTE.length);
    for (const color of TAG_PALETTE) expect(color).toMatch(/^#[0-9A-F]{6}$/);
  });

  it('has no colour too dark to see on dark video', () => {
    for (const color of TAG_PALETTE) expect(relativeLuminance(color)).toBeGreaterThan(0.1);
  });

  it('gives every colour a label text colour with WCAG AA contrast (4.5:1)', () => {
    for (const color of TAG_PALETTE) expect(contrast(color, textColorFor(color))).toBeGreaterThanOrEqual(4.5);
  });
});

describe('textColorFor', () => {
  it('picks black on light and white on dark backgrounds', () => {
    expect(textColorFor('#FFFFFF')).toBe('#000000');
    expect(textColorFor('#FFFF00')).toBe('#000000');
    expect(textColorFor('#F0E442')).toBe('#000000');
    expect(textColorFor('#000000')).toBe('#FFFFFF');
    expect(textColorFor('#0000FF')).toBe('#FFFFFF');
    expect(textColorFor('#AA3377')).toBe('#FFFFFF');
  });

  it('accepts #RGB shorthand and lower case', () => {
    expect(textColorFor('#fff')).toBe('#000000');
    expect(textColorFor('#00f')).toBe('#FFFFFF');
    expect(relativeLuminance('#abc')).toBeCloseTo(relativeLuminance('#AABBCC'), 12);
  });

  it('always picks the more contrasting of the two', () => {
    for (const color of ['#777777', '#808080', '#E69F00', '#0072B2', '#123456', '#FEDCBA']) {
      const other = textColorFor(color) === '#000000' ? '#FFFFFF' : '#000000';
      expect(contrast(color, textColorFor(color))).toBeGreaterThanOrEqual(contrast(color, other));
    }
  });

  it('rejects what it cannot parse rather than guessing', () => {
    expect(() => textColorFor('red')).toThrow(RangeError);
    expect(() => textColorFor('#12345')).toThrow(RangeError);
  });
});
