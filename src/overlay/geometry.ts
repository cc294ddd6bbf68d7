// Where the video's pixels land inside its element, and where a detection box lands on screen.
// Boxes drift off their objects whenever the preview and the overlay compute placement differently
// (cover crops, contain letterboxes, resize, rotation). So ONE function, `contentRect`, models
// CSS `object-fit` and everything else (the overlay, any element sized to the content) derives from it.
// Pure arithmetic: no DOM, so it runs in Node tests and in workers alike.
import type { BoundingBox } from '../api/prediction-types.ts';

/** The two CSS `object-fit` values the viewfinder supports. */
export const FitMode = { cover: 'cover', contain: 'contain' } as const;
export type FitMode = (typeof FitMode)[keyof typeof FitMode];

/** A width and height in one unit (CSS pixels for elements, pixels for video frames). */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** An axis-aligned rectangle: top-left corner plus size. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A detection box in element coordinates, already clipped to what the user can see. */
export interface ScreenBox extends Rect {
  /** False when no part of the box is on screen (e.g. cropped away by `cover`); then the rect is empty. */
  readonly visible: boolean;
}

const EMPTY_RECT: Rect = { x: 0, y: 0, width: 0, height: 0 };
const HIDDEN_BOX: ScreenBox = { ...EMPTY_RECT, visible: false };

function isUsableSize(size: Size): boolean {
  return Number.isFinite(size.width) && Number.isFinite(size.height) && size.width > 0 && size.height > 0;
}

/**
 * Where content of intrinsic size `source` (e.g. a 1280x720 video) is drawn inside an element of CSS size
 * `view` under CSS `object-fit: cover` (scaled to fill and centred; overflow is cropped, so `x`/`y` may be
 * negative) or `contain` (scaled to fit and centred, letterboxed). This matches the default
 * `object-position: 50% 50%`. Any zero, negative or non-finite size gives an empty rect at the origin.
 */
export function contentRect(view: Size, source: Size, fit: FitMode): Rect {
  if (!isUsableSize(view) || !isUsableSize(source)) return EMPTY_RECT;
  const scaleX = view.width / source.width;
  const scaleY = view.height / source.height;
  const scale = fit === FitMode.cover ? Math.max(scaleX, scaleY) : Math.min(scaleX, scaleY);
  const width = source.width * scale;
  const height = source.height * scale;
  return { x: (view.width - width) / 2, y: (view.height - height) / 2, width, height };
}

/**
 * Maps a normalised detection box (fractions of the frame the server saw; that frame is the whole source
 * frame downscaled without cropping, so the fractions apply to `source` directly) to element coordinates
 * in CSS pixels.
 *
 * With `mirrored` (the preview is flipped with CSS `transform: scaleX(-1)`, whose origin is the element's
 * centre) the box is mirrored about the element's vertical centre line, so it lands on the object as the
 * user sees it. The overlay itself must NOT be flipped, or its labels would read backwards.
 *
 * The result is clipped to the part of the video that is on screen: the element for `cover`, the
 * letterboxed content for `contain`. When nothing is left, or any input is degenerate, the result is an
 * empty rect with `visible: false`.
 */
export function boxToScreen(
  box: BoundingBox,
  view: Size,
  source: Size,
  fit: FitMode,
  mirrored: boolean,
): ScreenBox {
  const content = contentRect(view, source, fit);
  if (content.width === 0 || content.height === 0) return HIDDEN_BOX;
  const { left, top, width, height } = box;
  if (![left, top, width, height].every(Number.isFinite) || width <= 0 || height <= 0) return HIDDEN_BOX;

  const boxWidth = width * content.width;
  const boxTop = content.y + top * content.height;
  const unmirroredLeft = content.x + left * content.width;
  // scaleX(-1) about the centre maps x to view.width - x, so the box's right edge becomes its left edge.
  const boxLeft = mirrored ? view.width - (unmirroredLeft + boxWidth) : unmirroredLeft;

  // The visible area: the content (which is centred, so mirroring leaves it in place) within the element.
  const minX = Math.max(0, content.x);
  const minY = Math.max(0, content.y);
  const maxX = Math.min(view.width, content.x + content.width);
  const maxY = Math.min(view.height, content.y + content.height);

  const x0 = Math.max(minX, boxLeft);
  const y0 = Math.max(minY, boxTop);
  const x1 = Math.min(maxX, boxLeft + boxWidth);
  const y1 = Math.min(maxY, boxTop + height * content.height);
  if (x1 <= x0 || y1 <= y0) return HIDDEN_BOX;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0, visible: true };
}

/** A point in one unit (CSS pixels for elements). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));

/**
 * The inverse of {@link boxToScreen} for one point: where a point of the element (CSS pixels) lies in the
 * source frame, in fractions of its width and height. Not clamped, so a point in a letterbox bar or outside
 * the picture comes back below 0 or above 1 (callers decide whether to clamp). Undefined when the inputs
 * are degenerate.
 */
export function screenToSource(
  point: Point,
  view: Size,
  source: Size,
  fit: FitMode,
  mirrored: boolean,
): Point | undefined {
  const content = contentRect(view, source, fit);
  if (content.width === 0 || content.height === 0) return undefined;
  if (!Number.isFinite(point.x) || !Number.isFinite(point.y)) return undefined;
  // scaleX(-1) about the element's centre is its own inverse: x -> view.width - x.
  const x = mirrored ? view.width - point.x : point.x;
  return { x: (x - content.x) / content.width, y: (point.y - content.y) / content.height };
}

/**
 * The inverse of {@link boxToScreen}: a rectangle drawn on the element (CSS pixels) as a box in fractions of
 * the source frame, so that a box drawn on a letterboxed, cropped or mirrored picture lands on the pixels
 * the person saw under it. The box is clipped to the picture (fractions within 0..1); undefined when
 * nothing of it is on the picture or the inputs are degenerate.
 */
export function screenToBox(
  rect: Rect,
  view: Size,
  source: Size,
  fit: FitMode,
  mirrored: boolean,
): BoundingBox | undefined {
  const a = screenToSource({ x: rect.x, y: rect.y }, view, source, fit, mirrored);
  const b = screenToSource({ x: rect.x + rect.width, y: rect.y + rect.height }, view, source, fit, mirrored);
  if (!a || !b) return undefined;
  // Mirroring swaps the rectangle's left and right edges.
  const left = clamp01(Math.min(a.x, b.x));
  const right = clamp01(Math.max(a.x, b.x));
  const top = clamp01(Math.min(a.y, b.y));
  const bottom = clamp01(Math.max(a.y, b.y));
  if (right <= left || bottom <= top) return undefined;
  return { left, top, width: right - left, height: bottom - top };
}
