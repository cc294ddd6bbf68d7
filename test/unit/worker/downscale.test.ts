import { describe, expect, it } from 'vitest';
import { downscaleSize } from '../../../src/worker/downscale.ts';

describe('downscaleSize', () => {
  it.each([
    [
      { width: 1280, height: 720 },
      { width: 512, height: 288 },
    ],
    [
      { width: 1920, height: 1080 },
      { width: 512, height: 288 },
    ],
    [
      { width: 720, height: 1280 },
      { width: 288, height: 512 },
    ],
    [
      { width: 640, height: 480 },
      { width: 512, height: 384 },
    ],
    [
      { width: 512, height: 512 },
      { width: 512, height: 512 },
    ],
  ])('fits the longer side of %o into 512, keeping the aspect ratio', (source, expected) => {
    expect(downscaleSize(source)).toEqual(expected);
  });

  it('never upscales a small source', () => {
    expect(downscaleSize({ width: 320, height: 240 })).toEqual({ width: 320, height: 240 });
  });

  it("keeps the shorter side at Custom Vision's 256 minimum for a very wide frame", () => {
    expect(downscaleSize({ width: 2560, height: 720 })).toEqual({ width: 910, height: 256 });
    // ...but only when the source has that many pixels to give.
    expect(downscaleSize({ width: 1000, height: 200 })).toEqual({ width: 1000, height: 200 });
  });

  it('honours a configured size', () => {
    expect(downscaleSize({ width: 1920, height: 1080 }, { maxLongSide: 1024, minShortSide: 256 })).toEqual({
      width: 1024,
      height: 576,
    });
  });

  it('returns an empty size for a source with no pixels', () => {
    expect(downscaleSize({ width: 0, height: 720 })).toEqual({ width: 0, height: 0 });
  });
});
