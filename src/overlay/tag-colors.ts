// One stable colour per tag: the same tag name gets the same colour in every run, session and saved
// history frame (so a tag looks the same in the history as it did live), because the colour is a pure function of the name, never of the order in
// which tags first appeared. Colours come from a fixed palette chosen to stay apart for the common forms of
// colour blindness and to stand out on camera video; black and text colours are picked for contrast.

/**
 * Twelve distinct, saturated colours: the seven non-black Okabe–Ito colours (designed to stay
 * distinguishable with deuteranopia, protanopia and tritanopia), then white and four of Paul Tol's
 * colour-blind-safe colours. Dark colours (navy, black) are left out because they vanish on dark video.
 */
export const TAG_PALETTE: readonly string[] = [
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#009E73', // bluish green
  '#F0E442', // yellow
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#FFFFFF', // white
  '#EE3377', // magenta (Tol vibrant)
  '#44AA99', // teal (Tol muted)
  '#AA3377', // purple (Tol bright)
  '#999933', // olive (Tol muted)
];

/**
 * 32-bit FNV-1a over the name's UTF-16 code units. Chosen because it is tiny, fast and, unlike
 * `Math.random` or insertion order, gives the same answer on every device and in every session.
 */
export function hashTagName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The palette colour (`#RRGGBB`) for a tag, derived from a hash of its name. */
export function tagColor(tagName: string): string {
  // The palette is a non-empty constant, so the index is always in range.
  return TAG_PALETTE[hashTagName(tagName) % TAG_PALETTE.length]!;
}

/** Black or white text, whichever contrasts more with the background. */
export type TextColor = '#000000' | '#FFFFFF';

function parseHexColor(color: string): [number, number, number] | undefined {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  const hex = match?.[1];
  if (hex === undefined) return undefined;
  const full = hex.length === 3 ? [...hex].map((digit) => digit + digit).join('') : hex;
  return [0, 2, 4].map((offset) => parseInt(full.slice(offset, offset + 2), 16)) as [number, number, number];
}

/** WCAG 2 relative luminance of an sRGB channel value 0..255, linearised. */
function linearChannel(value: number): number {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG 2 relative luminance (0 black .. 1 white) of a `#RGB` or `#RRGGBB` colour. */
export function relativeLuminance(color: string): number {
  const rgb = parseHexColor(color);
  if (rgb === undefined) throw new RangeError(`Not a #RGB or #RRGGBB colour: ${JSON.stringify(color)}`);
  const [r, g, b] = rgb.map(linearChannel) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * A legible text colour for a label on `background` (`#RGB` or `#RRGGBB`): whichever of black or white
 * has the higher WCAG contrast ratio with it.
 */
export function textColorFor(background: string): TextColor {
  const luminance = relativeLuminance(background);
  const contrastWithBlack = (luminance + 0.05) / 0.05;
  const contrastWithWhite = 1.05 / (luminance + 0.05);
  return contrastWithBlack >= contrastWithWhite ? '#000000' : '#FFFFFF';
}
