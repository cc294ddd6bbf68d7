// Shrinks one image plane (a camera frame's Y, or one of its chroma planes) by averaging areas: each output
// sample is the mean of the source samples its footprint covers, partly covered ones weighted by how much.
// That is the box filter a downscale by 2.5 or 3.75 needs to stay free of aliasing, at a few operations
// per source sample; on a whole frame it costs a fraction of what a canvas's RGB conversion and scaling do.

/** A plane to read: samples `step` bytes apart (2 for one half of NV12's interleaved chroma). */
export interface SourcePlane {
  readonly data: Uint8Array;
  readonly offset: number;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly step: number;
}

/** Weights sum to this in each direction (fixed point: 8 bits of fraction per pass). */
const ONE = 256;
/** Half of the two passes' combined unit, for rounding to nearest. */
const HALF = (ONE * ONE) / 2;

/**
 * For each output index along one axis, the first source index it covers and the weights of the source
 * samples from there, flattened (`taps` per output, unused ones 0).
 */
interface AxisTaps {
  readonly first: Int32Array;
  readonly weights: Uint16Array;
  readonly taps: number;
}

function axisTaps(sourceLength: number, outputLength: number): AxisTaps {
  const scale = sourceLength / outputLength;
  // Every output reads the same number of samples (unused ones weigh 0), so the loops have no branches.
  const taps = Math.min(sourceLength, Math.ceil(scale) + 1);
  const first = new Int32Array(outputLength);
  const weights = new Uint16Array(outputLength * taps);
  for (let o = 0; o < outputLength; o++) {
    const start = o * scale;
    const end = Math.min(sourceLength, start + scale);
    // Near the far edge the window starts earlier so that it stays inside the source; the weights follow.
    const from = Math.min(Math.floor(start), sourceLength - taps);
    first[o] = from;
    let total = 0;
    let largest = o * taps;
    for (let t = 0; t < taps; t++) {
      const covered = Math.min(end, from + t + 1) - Math.max(start, from + t);
      const weight = covered > 0 ? Math.round((covered / scale) * ONE) : 0;
      weights[o * taps + t] = weight;
      total += weight;
      if (weight > weights[largest]!) largest = o * taps + t;
    }
    // Rounding may leave the sum a unit off; the largest weight absorbs it, so flat areas stay flat.
    weights[largest] = weights[largest]! + ONE - total;
  }
  return { first, weights, taps };
}

/**
 * Downscales planes, keeping its tables and scratch rows between calls: the same sizes come frame after
 * frame, and a long-running page must not allocate per frame.
 */
export class PlaneScaler {
  private readonly axes = new Map<string, AxisTaps>();
  /** The source halved, when it is. */
  private half = new Uint8Array(0);
  /** One output row's source rows, combined. */
  private row = new Uint16Array(0);

  private axis(sourceLength: number, outputLength: number): AxisTaps {
    const key = `${sourceLength}>${outputLength}`;
    let taps = this.axes.get(key);
    if (!taps) {
      taps = axisTaps(sourceLength, outputLength);
      this.axes.set(key, taps);
    }
    return taps;
  }

  /**
   * Writes `source` shrunk to `width` x `height` (each at most the source's) into `out` (rows `width`
   * apart). For each output row: the source rows under it are combined into one full-width row with 8
   * bits of fraction (reading memory in order), then that row is combined along its length, rounding once.
   */
  scale(source: SourcePlane, width: number, height: number, out: Uint8Array): void {
    if (width > source.width || height > source.height || width < 1 || height < 1) {
      throw new Error(
        `Cannot scale a ${source.width}x${source.height} plane to ${width}x${height}: only shrinking is supported.`,
      );
    }
    // Shrinking by 2 or more: halve first with a plain 2x2 mean, which costs a quarter of the general
    // filter per source sample, and leaves it a quarter of the samples and a scale under 2 (three taps).
    if (source.width >= 2 * width && source.height >= 2 * height) {
      this.areaScale(this.halve(source), width, height, out);
    } else {
      this.areaScale(source, width, height, out);
    }
  }

  /** `source` at half its width and height (rounded down), each sample the mean of a 2x2 block. */
  private halve(source: SourcePlane): SourcePlane {
    const width = source.width >> 1;
    const height = source.height >> 1;
    if (this.half.length < width * height) this.half = new Uint8Array(width * height);
    const half = this.half;
    const { data, offset, stride, step } = source;
    for (let y = 0; y < height; y++) {
      let top = offset + 2 * y * stride;
      let bottom = top + stride;
      const outAt = y * width;
      if (step === 1) {
        for (let x = 0; x < width; x++, top += 2, bottom += 2) {
          half[outAt + x] = (data[top]! + data[top + 1]! + data[bottom]! + data[bottom + 1]! + 2) >> 2;
        }
      } else {
        for (let x = 0; x < width; x++, top += 2 * step, bottom += 2 * step) {
          half[outAt + x] = (data[top]! + data[top + step]! + data[bottom]! + data[bottom + step]! + 2) >> 2;
        }
      }
    }
    return { data: half, offset: 0, width, height, stride: width, step: 1 };
  }

  private areaScale(source: SourcePlane, width: number, height: number, out: Uint8Array): void {
    const horizontal = this.axis(source.width, width);
    const vertical = this.axis(source.height, height);
    const sourceWidth = source.width;
    if (this.row.length < sourceWidth) this.row = new Uint16Array(sourceWidth);
    const row = this.row;
    const { data, offset, stride, step } = source;
    const hTaps = horizontal.taps;
    const hFirst = horizontal.first;
    const hWeights = horizontal.weights;
    const vTaps = vertical.taps;
    const vWeights = vertical.weights;
    for (let y = 0; y < height; y++) {
      const w = y * vTaps;
      let rowAt = offset + vertical.first[y]! * stride;
      let started = false;
      for (let t = 0; t < vTaps; t++, rowAt += stride) {
        const weight = vWeights[w + t]!;
        if (weight === 0) continue;
        if (!started) {
          // The first row sets, the others add: no separate pass to clear the row.
          for (let x = 0, at = rowAt; x < sourceWidth; x++, at += step) row[x] = data[at]! * weight;
          started = true;
        } else if (step === 1) {
          for (let x = 0; x < sourceWidth; x++) row[x] = row[x]! + data[rowAt + x]! * weight;
        } else {
          for (let x = 0, at = rowAt; x < sourceWidth; x++, at += step) row[x] = row[x]! + data[at]! * weight;
        }
      }
      const outAt = y * width;
      if (hTaps === 3) {
        // The usual case after halving (a scale under 2), unrolled.
        for (let x = 0, k = 0; x < width; x++, k += 3) {
          const at = hFirst[x]!;
          out[outAt + x] =
            (HALF +
              row[at]! * hWeights[k]! +
              row[at + 1]! * hWeights[k + 1]! +
              row[at + 2]! * hWeights[k + 2]!) >>>
            16;
        }
      } else {
        for (let x = 0; x < width; x++) {
          let at = hFirst[x]!;
          const k = x * hTaps;
          let sum = HALF;
          for (let t = 0; t < hTaps; t++) sum += row[at++]! * hWeights[k + t]!;
          out[outAt + x] = sum >>> 16;
        }
      }
    }
  }
}
