// Chromium's fake camera plays a .y4m file: this turns a committed photo into one (I420, BT.601 limited
// range), scaled to the size asked for, so the camera tests see a real picture.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export interface FakeCameraVideo {
  readonly file: string;
  readonly width: number;
  readonly height: number;
}

/** Writes `<name>-<w>x<h>.y4m` under the system temp folder and returns its path. Sizes must be even. */
export async function photoToY4m(
  photo: string,
  size?: { width: number; height: number },
): Promise<FakeCameraVideo> {
  const image = sharp(photo).removeAlpha();
  const meta = await image.metadata();
  const width = size?.width ?? (meta.width ?? 0) & ~1;
  const height = size?.height ?? (meta.height ?? 0) & ~1;
  const { data } = await image
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });

  const y = Buffer.alloc(width * height);
  const u = Buffer.alloc((width / 2) * (height / 2));
  const v = Buffer.alloc((width / 2) * (height / 2));
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const i = (row * width + col) * 3;
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      y[row * width + col] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
    }
  }
  // Chroma from the average of each 2x2 block.
  for (let row = 0; row < height; row += 2) {
    for (let col = 0; col < width; col += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ] as const) {
        const i = ((row + dy) * width + col + dx) * 3;
        r += data[i]!;
        g += data[i + 1]!;
        b += data[i + 2]!;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      const c = (row / 2) * (width / 2) + col / 2;
      u[c] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      v[c] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  const dir = path.join(os.tmpdir(), 'sightline-fake-camera');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${path.basename(photo, path.extname(photo))}-${width}x${height}.y4m`);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\nFRAME\n`, 'latin1');
  writeFileSync(file, Buffer.concat([header, y, u, v]));
  return { file, width, height };
}
