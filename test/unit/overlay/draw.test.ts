import { describe, expect, expectTypeOf, it } from 'vitest';
import type { BoundingBox } from '../../../src/api/prediction-types.ts';
import {
  canvasSizeFor,
  drawDetections,
  formatPercent,
  LABEL_FONT_SIZE,
  LABEL_HEIGHT,
  LINE_WIDTH,
  overlaySceneKey,
  wallLabelFontSize,
  type DrawItem,
  type DrawOptions,
  type OverlayContext,
} from '../../../src/overlay/draw.ts';
import { tagColor, textColorFor } from '../../../src/overlay/tag-colors.ts';
import type { TrackedDetection } from '../../../src/overlay/tracker.ts';

interface Call {
  readonly op: string;
  readonly args: readonly unknown[];
  readonly globalAlpha: number;
  readonly lineWidth: number;
  readonly strokeStyle: unknown;
  readonly fillStyle: unknown;
  readonly font: string;
}

type RectCall = Omit<Call, 'args'> & { readonly args: readonly [number, number, number, number] };

/** Records every drawing call with the state it was made in; text is 0.5 em per character. */
class RecordingContext implements OverlayContext {
  readonly canvas: { width: number; height: number };
  readonly calls: Call[] = [];
  globalAlpha = 1;
  lineWidth = 1;
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000000';
  fillStyle: string | CanvasGradient | CanvasPattern = '#000000';
  font = '10px sans-serif';
  textAlign: CanvasTextAlign = 'start';
  textBaseline: CanvasTextBaseline = 'alphabetic';

  constructor(width: number, height: number) {
    this.canvas = { width, height };
  }

  #record(op: string, args: readonly unknown[]): void {
    const { globalAlpha, lineWidth, strokeStyle, fillStyle, font } = this;
    this.calls.push({ op, args, globalAlpha, lineWidth, strokeStyle, fillStyle, font });
  }

  save(): void {
    this.#record('save', []);
  }
  restore(): void {
    this.#record('restore', []);
  }
  setTransform(...args: [number, number, number, number, number, number]): void {
    this.#record('setTransform', args);
  }
  clearRect(...args: [number, number, number, number]): void {
    this.#record('clearRect', args);
  }
  strokeRect(...args: [number, number, number, number]): void {
    this.#record('strokeRect', args);
  }
  fillRect(...args: [number, number, number, number]): void {
    this.#record('fillRect', args);
  }
  fillText(...args: [string, number, number]): void {
    this.#record('fillText', args);
  }
  measureText(text: string): { width: number } {
    const px = Number(/(\d+(?:\.\d+)?)px/.exec(this.font)?.[1] ?? 10);
    return { width: text.length * px * 0.5 };
  }

  ops(op: string): Call[] {
    return this.calls.filter((call) => call.op === op);
  }
  rects(op: 'strokeRect' | 'fillRect'): RectCall[] {
    return this.ops(op) as RectCall[];
  }
}

const item = (box: BoundingBox, tagName = 'person', probability = 0.874, opacity = 1): DrawItem => ({
  tagName,
  tagId: `id-${tagName}`,
  probability,
  box,
  opacity,
});

const base: DrawOptions = {
  view: { width: 300, height: 300 },
  source: { width: 200, height: 100 },
  fit: 'contain',
  mirrored: false,
  devicePixelRatio: 1,
};

function draw(items: DrawItem[], options: Partial<DrawOptions> = {}) {
  const opts = { ...base, ...options };
  const size = canvasSizeFor(opts.view, opts.devicePixelRatio);
  const ctx = new RecordingContext(size.width, size.height);
  return { ctx, drawn: drawDetections(ctx, items, opts), size };
}

function expectInside(rect: readonly [number, number, number, number], width: number, height: number): void {
  const [x, y, w, h] = rect;
  expect(x).toBeGreaterThanOrEqual(0);
  expect(y).toBeGreaterThanOrEqual(0);
  expect(x + w).toBeLessThanOrEqual(width + 1e-9);
  expect(y + h).toBeLessThanOrEqual(height + 1e-9);
}

const half = LINE_WIDTH / 2;

describe('drawDetections', () => {
  it('is satisfied by real 2D contexts and accepts tracker output', () => {
    expectTypeOf<CanvasRenderingContext2D>().toExtend<OverlayContext>();
    expectTypeOf<OffscreenCanvasRenderingContext2D>().toExtend<OverlayContext>();
    expectTypeOf<TrackedDetection>().toExtend<DrawItem>();
  });

  it('clears the whole canvas with an identity transform, even with nothing to draw', () => {
    const { ctx, drawn } = draw([], { devicePixelRatio: 2 });
    expect(drawn).toEqual([]);
    const setTransform = ctx.calls.findIndex((c) => c.op === 'setTransform');
    const clear = ctx.calls.findIndex((c) => c.op === 'clearRect');
    expect(ctx.calls[setTransform]?.args).toEqual([1, 0, 0, 1, 0, 0]);
    expect(clear).toBeGreaterThan(setTransform);
    expect(ctx.calls[clear]?.args).toEqual([0, 0, 600, 600]);
  });

  it('contain: strokes the box where the letterboxed video shows the object, in the tag colour', () => {
    const { ctx, drawn } = draw([item({ left: 0.1, top: 0.2, width: 0.5, height: 0.4 })]);
    expect(drawn).toEqual([{ tagName: 'person', probability: 0.874, x: 30, y: 105, width: 150, height: 60 }]);
    const [stroke] = ctx.rects('strokeRect');
    expect(stroke?.args).toEqual([30 + half, 105 + half, 150 - LINE_WIDTH, 60 - LINE_WIDTH]);
    expect(stroke?.strokeStyle).toBe(tagColor('person'));
    expect(stroke?.lineWidth).toBe(LINE_WIDTH);
    expect(stroke?.globalAlpha).toBe(1);
  });

  it('cover: strokes the clipped box and skips boxes cropped away', () => {
    const { ctx, drawn } = draw(
      [
        item({ left: 0.2, top: 0, width: 0.2, height: 0.5 }, 'dog'),
        item({ left: 0, top: 0, width: 0.2, height: 1 }, 'cat'),
      ],
      { fit: 'cover' },
    );
    expect(drawn).toEqual([{ tagName: 'dog', probability: 0.874, x: 0, y: 0, width: 90, height: 150 }]);
    expect(ctx.rects('strokeRect').map((c) => c.args)).toEqual([
      [half, half, 90 - LINE_WIDTH, 150 - LINE_WIDTH],
    ]);
    expect(ctx.ops('fillText').map((c) => c.args[0])).toEqual(['dog 87%']);
  });

  it('mirrored: a box on the left of the frame is drawn on the right, with its label reading normally', () => {
    const leftEdge = item({ left: 0, top: 0.2, width: 0.1, height: 0.4 });
    const plain = draw([leftEdge]);
    const { ctx, drawn } = draw([leftEdge], { mirrored: true });
    expect(plain.drawn[0]).toMatchObject({ x: 0, width: 30 });
    expect(drawn[0]).toMatchObject({ x: 270, y: 105, width: 30, height: 60 });
    expect(ctx.rects('strokeRect')[0]?.args[0]).toBe(270 + half);
    // The canvas is never flipped: identity transform only, same text, text starts inside its pill.
    for (const call of ctx.ops('setTransform')) expect(call.args).toEqual([1, 0, 0, 1, 0, 0]);
    const [text] = ctx.ops('fillText');
    const [pill] = ctx.rects('fillRect');
    expect(text?.args[0]).toBe('person 87%');
    expect(text?.args[0]).toBe(plain.ctx.ops('fillText')[0]?.args[0]);
    expect(Number(text?.args[1])).toBeGreaterThan(pill?.args[0] ?? Infinity);
    expectInside(pill!.args, 300, 300);
  });

  it('draws larger labels, in a taller pill, when asked for a larger label size', () => {
    const { ctx } = draw([item({ left: 0.1, top: 0.4, width: 0.5, height: 0.4 }, 'cup')], {
      labelFontSize: 2 * LABEL_FONT_SIZE,
    });
    const [pill] = ctx.rects('fillRect');
    expect(pill?.args[3]).toBe(2 * LABEL_HEIGHT);
    expect(ctx.ops('fillText')[0]?.font).toContain(`${2 * LABEL_FONT_SIZE}px`);
  });

  it('draws boxes without labels when asked (thumbnails)', () => {
    const { ctx, drawn } = draw([item({ left: 0.1, top: 0.4, width: 0.5, height: 0.4 }, 'cup')], {
      labels: false,
    });
    expect(drawn).toHaveLength(1);
    expect(ctx.ops('strokeRect')).toHaveLength(1);
    expect(ctx.ops('fillText')).toHaveLength(0);
  });

  it('sizes wall-screen labels by the window, never below the default', () => {
    expect(wallLabelFontSize({ width: 1920, height: 1080 })).toBeGreaterThanOrEqual(27);
    expect(wallLabelFontSize({ width: 3840, height: 2160 })).toBeGreaterThan(
      wallLabelFontSize({ width: 1920, height: 1080 }),
    );
    expect(wallLabelFontSize({ width: 320, height: 200 })).toBe(LABEL_FONT_SIZE);
  });

  it('puts the label pill just above the box, in the tag colour with legible text', () => {
    const { ctx } = draw([item({ left: 0.1, top: 0.2, width: 0.5, height: 0.4 }, 'cup')]);
    const [pill] = ctx.rects('fillRect');
    const [text] = ctx.ops('fillText');
    expect(pill?.args[0]).toBe(30);
    expect((pill?.args[1] ?? 0) + (pill?.args[3] ?? 0)).toBe(105);
    expect(pill?.args[3]).toBe(LABEL_HEIGHT);
    expect(pill?.fillStyle).toBe(tagColor('cup'));
    expect(text?.args[0]).toBe('cup 87%');
    expect(text?.fillStyle).toBe(textColorFor(tagColor('cup')));
    // The text fits inside its pill.
    const width = new RecordingContext(1, 1);
    width.font = text?.font ?? '';
    expect(Number(text?.args[1]) + width.measureText('cup 87%').width).toBeLessThanOrEqual(
      (pill?.args[0] ?? 0) + (pill?.args[2] ?? 0),
    );
  });

  it('puts the label inside the top of the box when there is no room above', () => {
    const { ctx } = draw([item({ left: 0.2, top: 0.05, width: 0.5, height: 0.5 })], { fit: 'cover' });
    const [pill] = ctx.rects('fillRect');
    expect(pill?.args[1]).toBe(15);
    const atTop = draw([item({ left: 0.5, top: 0, width: 0.2, height: 0.5 })], { fit: 'cover' });
    expect(atTop.ctx.rects('fillRect')[0]?.args[1]).toBe(0);
  });

  it('keeps labels inside the canvas at every edge, shortening names that cannot fit', () => {
    const boxes: BoundingBox[] = [
      { left: 0.9, top: 0.9, width: 0.1, height: 0.1 },
      { left: 0.95, top: 0.2, width: 0.05, height: 0.1 },
      { left: 0, top: 0, width: 0.05, height: 0.05 },
      { left: 0.4, top: 0.98, width: 0.2, height: 0.02 },
    ];
    const longName = 'a very long tag name that is much wider than the whole overlay canvas';
    for (const fit of ['cover', 'contain'] as const) {
      for (const mirrored of [false, true]) {
        for (const devicePixelRatio of [1, 2]) {
          const { ctx, size } = draw(
            boxes.map((b) => item(b, longName)),
            { fit, mirrored, devicePixelRatio, view: { width: 200, height: 120 } },
          );
          expect(ctx.rects('fillRect').length).toBeGreaterThan(0);
          for (const pill of ctx.rects('fillRect')) expectInside(pill.args, size.width, size.height);
          for (const text of ctx.ops('fillText')) expect(String(text.args[0])).toMatch(/…$/);
        }
      }
    }
  });

  it('scales lines, text and coordinates by devicePixelRatio but reports CSS pixels', () => {
    const b = { left: 0.1, top: 0.2, width: 0.5, height: 0.4 };
    const one = draw([item(b)]);
    const two = draw([item(b)], { devicePixelRatio: 2 });
    expect(two.drawn).toEqual(one.drawn);
    expect(two.size).toEqual({ width: 600, height: 600 });
    const [stroke] = two.ctx.rects('strokeRect');
    expect(stroke?.lineWidth).toBe(2 * LINE_WIDTH);
    expect(stroke?.args).toEqual([
      60 + LINE_WIDTH,
      210 + LINE_WIDTH,
      300 - 2 * LINE_WIDTH,
      120 - 2 * LINE_WIDTH,
    ]);
    const pillOne = one.ctx.rects('fillRect')[0]?.args;
    const pillTwo = two.ctx.rects('fillRect')[0]?.args;
    expect(pillTwo).toEqual(pillOne?.map((v) => v * 2));
    expect(two.ctx.ops('fillText')[0]?.font).toContain('26px');
    expect(one.ctx.ops('fillText')[0]?.font).toContain('13px');
  });

  it('treats a nonsensical devicePixelRatio as 1', () => {
    const b = { left: 0.1, top: 0.2, width: 0.5, height: 0.4 };
    const bad = draw([item(b)], { devicePixelRatio: 0 });
    expect(bad.ctx.rects('strokeRect')[0]?.args).toEqual(draw([item(b)]).ctx.rects('strokeRect')[0]?.args);
  });

  it('draws with each item’s opacity, skips invisible ones, and leaves the context state as it was', () => {
    const { ctx, drawn } = draw([
      item({ left: 0.1, top: 0.1, width: 0.2, height: 0.2 }, 'person', 0.9, 0.25),
      item({ left: 0.5, top: 0.5, width: 0.2, height: 0.2 }, 'cat', 0.9, 0),
      item({ left: 0.6, top: 0.1, width: 0.2, height: 0.2 }, 'dog', 0.9, 1),
    ]);
    expect(drawn.map((d) => d.tagName)).toEqual(['person', 'dog']);
    expect(ctx.rects('strokeRect').map((c) => c.globalAlpha)).toEqual([0.25, 1]);
    expect(ctx.rects('fillRect').map((c) => c.globalAlpha)).toEqual([0.25, 1]);
    expect(ctx.ops('fillText').map((c) => c.globalAlpha)).toEqual([0.25, 1]);
    expect(ctx.calls[0]?.op).toBe('save');
    expect(ctx.calls.at(-1)?.op).toBe('restore');
    expect(ctx.ops('save')).toHaveLength(ctx.ops('restore').length);
  });

  it('draws all outlines before any label, so no outline crosses a label', () => {
    const { ctx } = draw([
      item({ left: 0.1, top: 0.3, width: 0.3, height: 0.3 }, 'person'),
      item({ left: 0.15, top: 0.1, width: 0.3, height: 0.3 }, 'dog'),
    ]);
    const lastStroke = ctx.calls.findLastIndex((c) => c.op === 'strokeRect');
    const firstFill = ctx.calls.findIndex((c) => c.op === 'fillRect');
    expect(ctx.ops('strokeRect')).toHaveLength(2);
    expect(lastStroke).toBeLessThan(firstFill);
  });
});

describe('overlaySceneKey', () => {
  const box = { left: 0.1, top: 0.2, width: 0.3, height: 0.4 };
  const scenes: { name: string; items: DrawItem[]; options: Partial<DrawOptions> }[] = [
    { name: 'one box', items: [item(box)], options: {} },
    { name: 'the same box again', items: [item({ ...box })], options: {} },
    { name: 'a score within the same percent', items: [item(box, 'person', 0.8741)], options: {} },
    { name: 'plus an invisible box', items: [item(box), item(box, 'cup', 0.5, 0)], options: {} },
    { name: 'a score one percent up', items: [item(box, 'person', 0.884)], options: {} },
    { name: 'the box moved', items: [item({ ...box, left: 0.1001 })], options: {} },
    { name: 'fading', items: [item(box, 'person', 0.874, 0.5)], options: {} },
    { name: 'another tag', items: [item(box, 'cup')], options: {} },
    { name: 'two boxes', items: [item(box), item({ ...box, top: 0.5 }, 'cup')], options: {} },
    { name: 'nothing', items: [], options: {} },
    { name: 'cover', items: [item(box)], options: { fit: 'cover' } },
    { name: 'mirrored', items: [item(box)], options: { mirrored: true } },
    { name: 'wider view', items: [item(box)], options: { view: { width: 320, height: 300 } } },
    { name: 'other source', items: [item(box)], options: { source: { width: 160, height: 100 } } },
    { name: 'high DPI', items: [item(box)], options: { devicePixelRatio: 2 } },
    { name: 'wall labels', items: [item(box)], options: { labelFontSize: 32 } },
    { name: 'no labels', items: [item(box)], options: { labels: false } },
  ];

  it('is the same exactly when the drawing is', () => {
    for (const a of scenes) {
      for (const b of scenes) {
        const sameKey =
          overlaySceneKey(a.items, { ...base, ...a.options }) ===
          overlaySceneKey(b.items, { ...base, ...b.options });
        const sameDrawing =
          JSON.stringify(draw(a.items, a.options).ctx.calls) ===
          JSON.stringify(draw(b.items, b.options).ctx.calls);
        expect(sameKey, `${a.name} / ${b.name}`).toBe(sameDrawing);
      }
    }
  });

  it('tells apart every scene above but the first four', () => {
    const keys = scenes.map((scene) => overlaySceneKey(scene.items, { ...base, ...scene.options }));
    expect(new Set(keys.slice(0, 4)).size).toBe(1);
    expect(new Set(keys).size).toBe(scenes.length - 3);
  });
});

describe('formatPercent', () => {
  it('rounds to a whole percentage', () => {
    expect(formatPercent(0.874)).toBe('87%');
    expect(formatPercent(0.875)).toBe('88%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.004)).toBe('0%');
  });

  it('clamps to 0..100', () => {
    expect(formatPercent(1.7)).toBe('100%');
    expect(formatPercent(-0.2)).toBe('0%');
    expect(formatPercent(-0.001)).toBe('0%');
    expect(formatPercent(Number.NaN)).toBe('0%');
    expect(formatPercent(Infinity)).toBe('100%');
  });
});

describe('canvasSizeFor', () => {
  it('is the CSS size times the device pixel ratio, in whole pixels', () => {
    expect(canvasSizeFor({ width: 300, height: 150 }, 1)).toEqual({ width: 300, height: 150 });
    expect(canvasSizeFor({ width: 301, height: 151 }, 1.5)).toEqual({ width: 452, height: 227 });
    expect(canvasSizeFor({ width: 300, height: 150 }, Number.NaN)).toEqual({ width: 300, height: 150 });
    expect(canvasSizeFor({ width: 0, height: -1 }, 2)).toEqual({ width: 0, height: 0 });
  });
});
