// Draws detection boxes and their labels onto the overlay canvas. The canvas is never CSS-flipped: a
// mirrored preview is handled purely in coordinates (boxToScreen), so label text always reads left to right
// (a CSS flip would mirror the text too). Everything is drawn in device pixels from CSS-pixel geometry, so lines and text stay sharp
// on high-DPI screens. Takes a minimal context interface, so tests can pass a recording fake and the same
// code can draw on an OffscreenCanvas or onto a saved history frame (which must look as it did live).
import type { BoundingBox } from '../api/prediction-types.ts';
import { boxToScreen, type FitMode, type Rect, type Size } from './geometry.ts';
import { tagColor, textColorFor } from './tag-colors.ts';

/**
 * The part of `CanvasRenderingContext2D` (and `OffscreenCanvasRenderingContext2D`) this module uses.
 * Both real contexts satisfy it structurally.
 */
export interface OverlayContext {
  readonly canvas: { readonly width: number; readonly height: number };
  globalAlpha: number;
  lineWidth: number;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  fillStyle: string | CanvasGradient | CanvasPattern;
  font: string;
  textAlign: CanvasTextAlign;
  textBaseline: CanvasTextBaseline;
  save(): void;
  restore(): void;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  clearRect(x: number, y: number, width: number, height: number): void;
  strokeRect(x: number, y: number, width: number, height: number): void;
  fillRect(x: number, y: number, width: number, height: number): void;
  fillText(text: string, x: number, y: number): void;
  measureText(text: string): { readonly width: number };
}

/** One detection to draw (a tracker's output fits as is). */
export interface DrawItem {
  readonly tagName: string;
  readonly tagId: string;
  readonly probability: number;
  readonly box: BoundingBox;
  /** 0..1; 0 is not drawn at all. */
  readonly opacity: number;
}

export interface DrawOptions {
  /** CSS size of the video element (and of the canvas laid over it). */
  readonly view: Size;
  /** Intrinsic size of the video (`videoWidth` x `videoHeight`). */
  readonly source: Size;
  readonly fit: FitMode;
  /** True when the preview is flipped with `transform: scaleX(-1)` (front camera). */
  readonly mirrored: boolean;
  readonly devicePixelRatio: number;
  /** The label text's size in CSS pixels (default LABEL_FONT_SIZE); see wallLabelFontSize. */
  readonly labelFontSize?: number;
  /**
   * Whether to draw the labels (default true). A thumbnail has no room for them: they would cover the
   * picture and each other, and its row names the tags in text beside it.
   */
  readonly labels?: boolean;
}

/** What was drawn, in CSS pixels relative to the element: the box as clipped to the visible video. */
export interface DrawnBox {
  readonly tagName: string;
  readonly probability: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Box outline width, label font size and label padding, in CSS pixels. */
export const LINE_WIDTH = 2.5;
export const LABEL_FONT_SIZE = 13;
export const LABEL_PADDING_X = 6;
export const LABEL_HEIGHT = LABEL_FONT_SIZE + 8;

/**
 * Label size for a screen read from a few metres (a kiosk): a share of the window's shorter side, so a
 * wall screen's labels are as legible from across a room as a phone's are in the hand. About 3 %: 32 px
 * on a 1080p screen, the size of a heading read from three metres; never smaller than the default.
 */
export function wallLabelFontSize(viewport: Size): number {
  const shorter = Math.min(viewport.width, viewport.height);
  return Math.round(clamp(0.03 * shorter, LABEL_FONT_SIZE, 72));
}

const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const ELLIPSIS = '…';

/** A probability 0..1 as a whole percentage, e.g. 0.874 → "87%"; clamped to 0..100 (NaN → "0%"). */
export function formatPercent(p: number): string {
  const percent = Number.isNaN(p) ? 0 : Math.min(100, Math.max(0, p * 100));
  return `${Math.round(percent)}%`;
}

function usableRatio(dpr: number): number {
  return Number.isFinite(dpr) && dpr > 0 ? dpr : 1;
}

/**
 * The backing-store size (`canvas.width`/`height`) the overlay canvas needs for a CSS size and device
 * pixel ratio. Set it only when it changes: assigning `canvas.width` clears the canvas and its state.
 */
export function canvasSizeFor(view: Size, devicePixelRatio: number): Size {
  const dpr = usableRatio(devicePixelRatio);
  const side = (css: number): number => (Number.isFinite(css) && css > 0 ? Math.round(css * dpr) : 0);
  return { width: side(view.width), height: side(view.height) };
}

const clamp = (value: number, min: number, max: number): number => Math.min(Math.max(value, min), max);

/** The text, shortened with an ellipsis if needed so that it measures at most `maxWidth`. */
function fitText(ctx: OverlayContext, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  for (let length = text.length - 1; length > 0; length--) {
    const shorter = text.slice(0, length).trimEnd() + ELLIPSIS;
    if (ctx.measureText(shorter).width <= maxWidth) return shorter;
  }
  return ELLIPSIS;
}

function drawLabel(
  ctx: OverlayContext,
  item: DrawItem,
  rect: Rect,
  color: string,
  bounds: Size,
  dpr: number,
  fontSize: number,
): void {
  const scale = fontSize / LABEL_FONT_SIZE;
  const padX = LABEL_PADDING_X * scale * dpr;
  const height = LABEL_HEIGHT * scale * dpr;
  const text = fitText(ctx, `${item.tagName} ${formatPercent(item.probability)}`, bounds.width - 2 * padX);
  const width = Math.min(ctx.measureText(text).width + 2 * padX, bounds.width);
  const boxLeft = rect.x * dpr;
  const boxTop = rect.y * dpr;
  // Above the box when there is room, else just inside its top edge; always inside the canvas.
  const x = clamp(boxLeft, 0, Math.max(0, bounds.width - width));
  const y = clamp(boxTop - height >= 0 ? boxTop - height : boxTop, 0, Math.max(0, bounds.height - height));
  ctx.fillStyle = color;
  ctx.fillRect(x, y, width, height);
  ctx.fillStyle = textColorFor(color);
  ctx.fillText(text, x + padX, y + height / 2);
}

/**
 * Everything drawDetections reads, as one string: equal keys draw the same pixels. Lets a caller skip a
 * redraw that would change nothing on screen, which is most results while the scene holds still; each
 * redraw of the overlay also makes the compositor draw the preview under it again.
 */
export function overlaySceneKey(items: readonly DrawItem[], options: DrawOptions): string {
  const { view, source, fit, mirrored, devicePixelRatio, labelFontSize, labels } = options;
  const drawn = items
    .filter((item) => item.opacity !== 0)
    .map((item) => {
      const { left, top, width, height } = item.box;
      // The label shows a whole percentage: a score that moves within it draws the same label.
      return [item.tagName, formatPercent(item.probability), left, top, width, height, item.opacity];
    });
  const settings = [view.width, view.height, source.width, source.height, fit, mirrored];
  return JSON.stringify([...settings, devicePixelRatio, labelFontSize ?? null, labels ?? true, drawn]);
}

/**
 * Clears the canvas and draws each visible item: an outline in the tag's colour, then (after all
 * outlines, so no outline crosses a label) a "tagName 87%" label above the box, or inside its top edge
 * when there is no room above, kept within the canvas. Items fully outside the visible video or with
 * opacity 0 are skipped. The canvas's backing store should be `canvasSizeFor(view, devicePixelRatio)`.
 * Returns the boxes drawn, in CSS pixels, in drawing order.
 */
export function drawDetections(
  ctx: OverlayContext,
  items: readonly DrawItem[],
  options: DrawOptions,
): DrawnBox[] {
  const dpr = usableRatio(options.devicePixelRatio);
  const bounds: Size = { width: options.view.width * dpr, height: options.view.height * dpr };
  ctx.save();
  // Identity transform: coordinates below are device pixels, and nothing may flip the text.
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);

  const placed: { item: DrawItem; rect: Rect; color: string; opacity: number }[] = [];
  for (const item of items) {
    const opacity = Number.isFinite(item.opacity) ? clamp(item.opacity, 0, 1) : 1;
    if (opacity === 0) continue;
    const rect = boxToScreen(item.box, options.view, options.source, options.fit, options.mirrored);
    if (rect.visible) placed.push({ item, rect, color: tagColor(item.tagName), opacity });
  }

  // The outline lies inside the box so that boxes touching the canvas edge keep their full line. Larger
  // labels get a thicker outline to match.
  const lineWidth =
    LINE_WIDTH * Math.max(1, (options.labelFontSize ?? LABEL_FONT_SIZE) / LABEL_FONT_SIZE / 2) * dpr;
  ctx.lineWidth = lineWidth;
  for (const { rect, color, opacity } of placed) {
    ctx.globalAlpha = opacity;
    ctx.strokeStyle = color;
    ctx.strokeRect(
      rect.x * dpr + lineWidth / 2,
      rect.y * dpr + lineWidth / 2,
      Math.max(0, rect.width * dpr - lineWidth),
      Math.max(0, rect.height * dpr - lineWidth),
    );
  }

  const fontSize = options.labelFontSize ?? LABEL_FONT_SIZE;
  ctx.font = `600 ${fontSize * dpr}px ${FONT_FAMILY}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const { item, rect, color, opacity } of options.labels === false ? [] : placed) {
    ctx.globalAlpha = opacity;
    drawLabel(ctx, item, rect, color, bounds, dpr, fontSize);
  }
  ctx.restore();

  return placed.map(({ item, rect }) => ({
    tagName: item.tagName,
    probability: item.probability,
    x: rect.x,
    y: rect.y,
    width: rect.width,
    height: rect.height,
  }));
}
