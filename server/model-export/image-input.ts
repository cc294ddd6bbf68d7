// An encoded image to an export's input pixels: EXIF orientation applied, the plan's part of the picture
// (whole and stretched for detectors, the centre square for classifiers) scaled to the model's size.
import sharp from 'sharp';
import { MAX_IMAGE_PIXELS } from '../detector/image-probe.ts';
import { sourceRect } from '../../src/shared/model-export/preprocess.ts';
import type { InputPlan } from '../../src/shared/model-export/recognise.ts';

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export interface ImagePixels {
  /** RGB, interleaved, plan.width x plan.height. */
  readonly rgb: Uint8Array;
  /** The picture's own size, upright. */
  readonly width: number;
  readonly height: number;
}

export async function imageToPixels(bytes: Uint8Array, plan: InputPlan): Promise<ImagePixels> {
  try {
    // Upright first (rotate), so that the crop is taken from the picture as people see it.
    const upright = await sharp(bytes, {
      failOn: 'truncated',
      limitInputPixels: MAX_IMAGE_PIXELS,
      animated: false,
    })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width, height } = upright.info;
    const rect = sourceRect(width, height, plan.fit);
    const { data } = await sharp(upright.data, { raw: { width, height, channels: 3 } })
      .extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height })
      .resize(plan.width, plan.height, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { rgb: data, width, height };
  } catch (error) {
    throw new ImageDecodeError((error as Error).message);
  }
}
