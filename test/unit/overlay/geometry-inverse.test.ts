import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boxToScreen, screenToBox, screenToSource, type FitMode } from '../../../src/overlay/geometry.ts';

const view = { width: 300, height: 300 };
const wide = { width: 200, height: 100 };

describe('screenToSource', () => {
  it('contain, letterboxed: the top of the picture is below the bar, not at the element top', () => {
    // 200x100 in 300x300: shown 300x150 from y=75.
    expect(screenToSource({ x: 0, y: 75 }, view, wide, 'contain', false)).toEqual({ x: 0, y: 0 });
    expect(screenToSource({ x: 150, y: 150 }, view, wide, 'contain', false)).toEqual({ x: 0.5, y: 0.5 });
    // In the letterbox bar: above the picture.
    expect(screenToSource({ x: 0, y: 0 }, view, wide, 'contain', false)!.y).toBeLessThan(0);
  });

  it("mirrored: the element's left edge is the picture's right edge", () => {
    expect(screenToSource({ x: 0, y: 75 }, view, wide, 'contain', true)).toEqual({ x: 1, y: 0 });
    expect(screenToSource({ x: 75, y: 75 }, view, wide, 'contain', true)!.x).toBeCloseTo(0.75, 9);
  });

  it("cover: the element's left edge is a quarter into the cropped picture", () => {
    // 200x100 covering 300x300: shown 600x300 from x=-150.
    expect(screenToSource({ x: 0, y: 0 }, view, wide, 'cover', false)).toEqual({ x: 0.25, y: 0 });
  });

  it('is undefined for degenerate sizes', () => {
    expect(screenToSource({ x: 1, y: 1 }, { width: 0, height: 10 }, wide, 'contain', false)).toBeUndefined();
    expect(screenToSource({ x: 1, y: 1 }, view, { width: 10, height: 0 }, 'contain', false)).toBeUndefined();
    expect(screenToSource({ x: Number.NaN, y: 1 }, view, wide, 'contain', false)).toBeUndefined();
  });
});

describe('screenToBox', () => {
  it('a box drawn on a mirrored, letterboxed picture lands on the pixels under it', () => {
    // Drawn at the element's left, 30 px wide: on a mirrored picture that is the picture's right tenth.
    const box = screenToBox({ x: 0, y: 75, width: 30, height: 75 }, view, wide, 'contain', true)!;
    expect(box.left).toBeCloseTo(0.9, 9);
    expect(box.width).toBeCloseTo(0.1, 9);
    expect(box.top).toBeCloseTo(0, 9);
    expect(box.height).toBeCloseTo(0.5, 9);
  });

  it('clips what was drawn over the letterbox bars to the picture', () => {
    const box = screenToBox({ x: 0, y: 0, width: 300, height: 300 }, view, wide, 'contain', false)!;
    expect(box).toEqual({ left: 0, top: 0, width: 1, height: 1 });
  });

  it('is undefined for a box drawn entirely in a bar', () => {
    expect(screenToBox({ x: 0, y: 0, width: 300, height: 70 }, view, wide, 'contain', false)).toBeUndefined();
  });

  const size = fc.record({
    width: fc.integer({ min: 16, max: 4000 }),
    height: fc.integer({ min: 16, max: 4000 }),
  });
  const fraction = fc.double({ min: 0, max: 0.9, noNaN: true });

  it('undoes boxToScreen wherever the box is fully on screen (any fit, mirrored or not)', () => {
    fc.assert(
      fc.property(
        size,
        size,
        fc.constantFrom<FitMode>('cover', 'contain'),
        fc.boolean(),
        fraction,
        fraction,
        fc.double({ min: 0.01, max: 0.1, noNaN: true }),
        fc.double({ min: 0.01, max: 0.1, noNaN: true }),
        (viewSize, source, fit, mirrored, left, top, width, height) => {
          const box = { left, top, width, height };
          const screen = boxToScreen(box, viewSize, source, fit, mirrored);
          // Only boxes wholly on screen: cover crops the rest away, and nothing cropped can be recovered.
          const whollyShown =
            screen.visible &&
            screen.x > 0 &&
            screen.y > 0 &&
            screen.x + screen.width < viewSize.width &&
            screen.y + screen.height < viewSize.height;
          fc.pre(whollyShown);
          const back = screenToBox(screen, viewSize, source, fit, mirrored)!;
          expect(back).toBeDefined();
          expect(back.left).toBeCloseTo(left, 6);
          expect(back.top).toBeCloseTo(top, 6);
          expect(back.width).toBeCloseTo(width, 6);
          expect(back.height).toBeCloseTo(height, 6);
        },
      ),
      { numRuns: 500 },
    );
  });
});
