// The committed test photos (see test/fixtures/README.md for sources and licences) and the boxes a
// person drew around their main object, as Custom Vision fractions of width and height.
import { readFileSync } from 'node:fs';

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Fixture {
  readonly file: string;
  readonly label: string;
  /** Drawn by hand around the object, not taken from the model's output. */
  readonly box: Box;
}

export const FIXTURES = {
  astronaut: {
    file: 'astronaut.jpg',
    label: 'person',
    box: { left: 0.03, top: 0.02, width: 0.7, height: 0.98 },
  },
  coffee: { file: 'coffee.jpg', label: 'cup', box: { left: 0.28, top: 0.04, width: 0.4, height: 0.68 } },
} as const satisfies Record<string, Fixture>;

export function fixtureBytes(fixture: Fixture): Buffer {
  return readFileSync(new URL(`../fixtures/${fixture.file}`, import.meta.url));
}

export function iou(a: Box, b: Box): number {
  const x = Math.max(0, Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left));
  const y = Math.max(0, Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top));
  const intersection = x * y;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
}
