// Pixels to model input: which part of the picture the model sees, and the tensor values it is fed
// (channel order, value range, mean and spread, layout), as the export's plan says.
import type { InputPlan } from './recognise.ts';

export interface SourceRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The part of a width x height picture that is scaled to the model input. */
export function sourceRect(width: number, height: number, fit: InputPlan['fit']): SourceRect {
  if (fit === 'stretch') return { x: 0, y: 0, width, height };
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side };
}

/**
 * The input tensor's values from pixels already scaled to the plan's size, RGB or RGBA interleaved
 * (`channels` 3 or 4; alpha ignored).
 */
export function toInputTensor(pixels: ArrayLike<number>, channels: 3 | 4, plan: InputPlan): Float32Array {
  const { width, height, layout, channelOrder, scale, mean, std } = plan;
  const area = width * height;
  if (pixels.length < area * channels) {
    throw new RangeError(
      `expected ${width}x${height} pixels with ${channels} channels, got ${pixels.length} values`,
    );
  }
  const out = new Float32Array(area * 3);
  // Source channel (0 R, 1 G, 2 B) for each fed channel.
  const order = channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let fed = 0; fed < 3; fed++) {
    const source = order[fed]!;
    const offset = mean[fed]!;
    const spread = std[fed]!;
    for (let pixel = 0; pixel < area; pixel++) {
      const value = (pixels[pixel * channels + source]! * scale - offset) / spread;
      out[layout === 'NCHW' ? fed * area + pixel : pixel * 3 + fed] = value;
    }
  }
  return out;
}
