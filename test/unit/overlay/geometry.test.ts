import { describe, expect, it } from 'vitest';
import type { BoundingBox } from '../../../src/api/prediction-types.ts';
import { boxToScreen, contentRect, type Rect } from '../../../src/overlay/geometry.ts';

function expectRect(actual: Rect, expected: Rect): void {
  expect(actual.x).toBeCloseTo(expected.x, 6);
  expect(actual.y).toBeCloseTo(expected.y, 6);
  expect(actual.width).toBeCloseTo(expected.width, 6);
  expect(actual.height).toBeCloseTo(expected.height, 6);
}

const square = { width: 300, height: 300 };
const wide = { width: 200, height: 100 };
const tall = { width: 100, height: 200 };
const hidden = { x: 0, y: 0, width: 0, height: 0, visible: false };

describe('contentRect', () => {
  it('cover: a wider source fills the height and is cropped left and right', () => {
    expect(contentRect(square, wide, 'cover')).toEqual({ x: -150, y: 0, width: 600, height: 300 });
  });

  it('cover: a taller source fills the width and is cropped top and bottom', () => {
    expect(contentRect(square, tall, 'cover')).toEqual({ x: 0, y: -150, width: 300, height: 600 });
  });

  it('contain: a wider source is letterboxed top and bottom', () => {
    expect(contentRect(square, wide, 'contain')).toEqual({ x: 0, y: 75, width: 300, height: 150 });
  });

  it('contain: a taller source is pillarboxed left and right', () => {
    expect(contentRect(square, tall, 'contain')).toEqual({ x: 75, y: 0, width: 150, height: 300 });
  });

  it('an exact aspect match fills the element in both modes', () => {
    const view = { width: 640, height: 360 };
    const source = { width: 1280, height: 720 };
    expect(contentRect(view, source, 'cover')).toEqual({ x: 0, y: 0, width: 640, height: 360 });
    expect(contentRect(view, source, 'contain')).toEqual({ x: 0, y: 0, width: 640, height: 360 });
  });

  it('keeps the source aspect ratio and centres it', () => {
    const view = { width: 390, height: 844 };
    const source = { width: 1280, height: 720 };
    for (const fit of ['cover', 'contain'] as const) {
      const rect = contentRect(view, source, fit);
      expect(rect.width / rect.height).toBeCloseTo(1280 / 720, 9);
      expect(rect.x + rect.width / 2).toBeCloseTo(195, 9);
      expect(rect.y + rect.height / 2).toBeCloseTo(422, 9);
    }
  });

  it('returns an empty rect for zero, negative or non-finite sizes', () => {
    const empty = { x: 0, y: 0, width: 0, height: 0 };
    expect(contentRect({ width: 0, height: 300 }, wide, 'cover')).toEqual(empty);
    expect(contentRect(square, { width: 0, height: 0 }, 'contain')).toEqual(empty);
    expect(contentRect(square, { width: -5, height: 100 }, 'contain')).toEqual(empty);
    expect(contentRect({ width: Number.NaN, height: 300 }, wide, 'cover')).toEqual(empty);
    expect(contentRect(square, { width: Infinity, height: 100 }, 'cover')).toEqual(empty);
  });
});

describe('boxToScreen', () => {
  const box: BoundingBox = { left: 0.1, top: 0.2, width: 0.5, height: 0.4 };

  it('contain: places the box inside the letterboxed content', () => {
    expect(boxToScreen(box, square, wide, 'contain', false)).toEqual({
      x: 30,
      y: 105,
      width: 150,
      height: 60,
      visible: true,
    });
  });

  it('contain with a taller source: offsets by the pillarbox', () => {
    expectRect(boxToScreen(box, square, tall, 'contain', false), { x: 90, y: 60, width: 75, height: 120 });
  });

  it('cover: places a central box in the scaled, cropped content', () => {
    const central = { left: 0.5, top: 0.5, width: 0.25, height: 0.25 };
    expect(boxToScreen(central, square, wide, 'cover', false)).toEqual({
      x: 150,
      y: 150,
      width: 150,
      height: 75,
      visible: true,
    });
    expectRect(boxToScreen(central, square, tall, 'cover', false), {
      x: 150,
      y: 150,
      width: 75,
      height: 150,
    });
  });

  it('cover: clips a box that is partly cropped away', () => {
    const straddling = { left: 0.2, top: 0, width: 0.2, height: 0.5 };
    // Unclipped it would span x = -30..90.
    expect(boxToScreen(straddling, square, wide, 'cover', false)).toEqual({
      x: 0,
      y: 0,
      width: 90,
      height: 150,
      visible: true,
    });
  });

  it('cover: reports a box that is cropped away entirely as invisible', () => {
    const offLeft = { left: 0, top: 0, width: 0.2, height: 1 };
    const offRight = { left: 0.8, top: 0.1, width: 0.2, height: 0.2 };
    expect(boxToScreen(offLeft, square, wide, 'cover', false)).toEqual(hidden);
    expect(boxToScreen(offRight, square, wide, 'cover', false)).toEqual(hidden);
    const offTop = { left: 0.4, top: 0, width: 0.2, height: 0.2 };
    expect(boxToScreen(offTop, square, tall, 'cover', false)).toEqual(hidden);
  });

  it('contain: clips a box that pokes out of the image to the content, not into the letterbox', () => {
    const overhanging = { left: 0.9, top: 0.9, width: 0.3, height: 0.3 };
    expectRect(boxToScreen(overhanging, square, wide, 'contain', false), {
      x: 270,
      y: 210,
      width: 30,
      height: 15,
    });
    const inLetterbox = { left: 0.1, top: -0.5, width: 0.5, height: 0.4 };
    expect(boxToScreen(inLetterbox, square, wide, 'contain', false)).toEqual(hidden);
  });

  it('mirrored: a box at the left edge of the frame ends up at the right edge of the element', () => {
    const leftEdge = { left: 0, top: 0.2, width: 0.1, height: 0.4 };
    expect(boxToScreen(leftEdge, square, wide, 'contain', false)).toMatchObject({ x: 0, width: 30 });
    expect(boxToScreen(leftEdge, square, wide, 'contain', true)).toEqual({
      x: 270,
      y: 105,
      width: 30,
      height: 60,
      visible: true,
    });
  });

  it('mirrored: reflects every visible box about the element centre and leaves y alone', () => {
    const boxes: BoundingBox[] = [
      box,
      { left: 0.5, top: 0.5, width: 0.25, height: 0.25 },
      { left: 0.3, top: 0.05, width: 0.1, height: 0.9 },
      { left: 0.25, top: 0.25, width: 0.5, height: 0.5 },
    ];
    for (const fit of ['cover', 'contain'] as const) {
      for (const source of [wide, tall, { width: 1280, height: 720 }]) {
        for (const b of boxes) {
          const plain = boxToScreen(b, square, source, fit, false);
          const flipped = boxToScreen(b, square, source, fit, true);
          expect(flipped.visible).toBe(plain.visible);
          expectRect(flipped, { ...plain, x: square.width - plain.x - plain.width });
        }
      }
    }
  });

  it('mirrored cover: clips after mirroring', () => {
    const straddling = { left: 0.2, top: 0, width: 0.2, height: 0.5 };
    // Unmirrored -30..90, mirrored 210..330, clipped to 210..300.
    expect(boxToScreen(straddling, square, wide, 'cover', true)).toEqual({
      x: 210,
      y: 0,
      width: 90,
      height: 150,
      visible: true,
    });
    const offLeft = { left: 0, top: 0, width: 0.2, height: 1 };
    expect(boxToScreen(offLeft, square, wide, 'cover', true)).toEqual(hidden);
  });

  it('resize: the same box follows the content as the element changes size', () => {
    const source = { width: 1280, height: 720 };
    const b = { left: 0.4, top: 0.3, width: 0.2, height: 0.3 };
    expectRect(boxToScreen(b, { width: 640, height: 360 }, source, 'cover', false), {
      x: 256,
      y: 108,
      width: 128,
      height: 108,
    });
    expectRect(boxToScreen(b, { width: 1280, height: 720 }, source, 'cover', false), {
      x: 512,
      y: 216,
      width: 256,
      height: 216,
    });
    // For any element size, the box keeps its place relative to the content.
    for (const view of [
      { width: 500, height: 500 },
      { width: 1000, height: 300 },
      { width: 333, height: 777 },
    ]) {
      for (const fit of ['cover', 'contain'] as const) {
        const content = contentRect(view, source, fit);
        const rect = boxToScreen(b, view, source, fit, false);
        expect(rect.visible).toBe(true);
        expect((rect.x - content.x) / content.width).toBeCloseTo(b.left, 9);
        expect((rect.y - content.y) / content.height).toBeCloseTo(b.top, 9);
        expect(rect.width / content.width).toBeCloseTo(b.width, 9);
      }
    }
  });

  it('rotation: portrait element with a landscape source', () => {
    const view = { width: 360, height: 640 };
    const source = { width: 1280, height: 720 };
    const b = { left: 0.4, top: 0.4, width: 0.2, height: 0.2 };
    // cover: scale 640/720, content 1137.8 wide starting at x = -388.9.
    const scale = 640 / 720;
    const x0 = (360 - 1280 * scale) / 2;
    expectRect(boxToScreen(b, view, source, 'cover', false), {
      x: x0 + 0.4 * 1280 * scale,
      y: 256,
      width: 0.2 * 1280 * scale,
      height: 128,
    });
    // contain: scale 360/1280, content 360x202.5 starting at y = 218.75.
    expectRect(boxToScreen(b, view, source, 'contain', false), {
      x: 144,
      y: 299.75,
      width: 72,
      height: 40.5,
    });
  });

  it('rotation: landscape element with a portrait source (the phone turned the other way)', () => {
    const view = { width: 640, height: 360 };
    const source = { width: 720, height: 1280 };
    const b = { left: 0.4, top: 0.4, width: 0.2, height: 0.2 };
    const scale = 640 / 720;
    const y0 = (360 - 1280 * scale) / 2;
    expectRect(boxToScreen(b, view, source, 'cover', false), {
      x: 256,
      y: y0 + 0.4 * 1280 * scale,
      width: 128,
      height: 0.2 * 1280 * scale,
    });
    expectRect(boxToScreen(b, view, source, 'contain', false), {
      x: 299.75,
      y: 144,
      width: 40.5,
      height: 72,
    });
  });

  it('returns an empty, invisible rect for zero sizes and degenerate boxes', () => {
    expect(boxToScreen(box, { width: 0, height: 0 }, wide, 'cover', false)).toEqual(hidden);
    expect(boxToScreen(box, square, { width: 0, height: 720 }, 'contain', true)).toEqual(hidden);
    expect(boxToScreen({ ...box, width: 0 }, square, wide, 'contain', false)).toEqual(hidden);
    expect(boxToScreen({ ...box, height: -0.1 }, square, wide, 'contain', false)).toEqual(hidden);
    expect(boxToScreen({ ...box, left: Number.NaN }, square, wide, 'contain', false)).toEqual(hidden);
  });
});
