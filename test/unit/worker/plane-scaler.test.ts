import { describe, expect, it } from 'vitest';
import { PlaneScaler, type SourcePlane } from '../../../src/worker/plane-scaler.ts';

const plane = (width: number, height: number, value: (x: number, y: number) => number): SourcePlane => {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return { data, offset: 0, width, height, stride: width, step: 1 };
};

function scaled(source: SourcePlane, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  new PlaneScaler().scale(source, width, height, out);
  return out;
}

describe('PlaneScaler', () => {
  it.each([
    [1280, 720, 512, 288],
    [1920, 1080, 512, 288],
    [640, 360, 256, 144],
    [101, 77, 33, 20],
  ])('keeps a flat %ix%i plane flat at %ix%i (the weights of every output sum to one)', (w, h, ow, oh) => {
    for (const level of [0, 17, 128, 255]) {
      expect(
        new Set(
          scaled(
            plane(w, h, () => level),
            ow,
            oh,
          ),
        ),
      ).toEqual(new Set([level]));
    }
  });

  it('averages whole areas: halving takes the mean of each 2x2 block', () => {
    const source = plane(4, 2, (x, y) => [10, 20, 30, 40][x]! + 100 * y);
    // Blocks: (10,20,110,120) -> 65, (30,40,130,140) -> 85.
    expect([...scaled(source, 2, 1)]).toEqual([65, 85]);
  });

  it('weighs samples a footprint covers only partly by how much it covers (a 2.5 scale)', () => {
    const source = plane(5, 1, (x) => [0, 0, 100, 200, 200][x]!);
    // Output 0 covers samples 0, 1 and half of 2: (0 + 0 + 50) / 2.5 = 20; output 1 the rest: (50 + 400) / 2.5.
    expect([...scaled(source, 2, 1)]).toEqual([20, 180]);
  });

  it('keeps a ramp a ramp: each output is the source at its footprint centre', () => {
    const source = plane(1280, 4, (x) => Math.floor(x / 5));
    const out = scaled(source, 512, 1);
    for (let x = 0; x < 512; x++) {
      const centre = (x + 0.5) * 2.5 - 0.5;
      expect(Math.abs(out[x]! - centre / 5)).toBeLessThanOrEqual(1);
    }
  });

  it('reads interleaved chroma (NV12) by its step and offset', () => {
    const width = 8;
    const data = new Uint8Array(width * 2 * 2);
    for (let i = 0; i < width * 2; i++) {
      data[2 * i] = 40; // Cb
      data[2 * i + 1] = 200; // Cr
    }
    const base = { data, width, height: 2, stride: width * 2, step: 2 };
    expect(new Set(scaled({ ...base, offset: 0 }, 4, 1))).toEqual(new Set([40]));
    expect(new Set(scaled({ ...base, offset: 1 }, 4, 1))).toEqual(new Set([200]));
  });

  it('only shrinks, and says so', () => {
    expect(() =>
      scaled(
        plane(10, 10, () => 0),
        20,
        10,
      ),
    ).toThrow(/only shrinking/);
  });
});
