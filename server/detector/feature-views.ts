// The pictures a training image's features are computed from: the image as the model sees it, and
// altered copies of it (mirrored, cropped, recoloured). A classification head trained on the copies'
// features as well learns that a flipped, closer or differently lit picture of a thing is still that
// thing: the augmentation happens once, when the image is stored, so training itself stays a matter of
// arithmetic on stored vectors.
import sharp from 'sharp';
import { CENTERNET_INPUT_SIZE, type ModelInput } from './centernet.ts';

export const FEATURE_VIEWS = ['original', 'mirrored', 'cropped', 'recoloured'] as const;

const SIDE = CENTERNET_INPUT_SIZE;
const raw = { raw: { width: SIDE, height: SIDE, channels: 3 as const } };

/** A part of the picture (a fraction of its side) starting at a fraction of it, stretched back to full. */
async function crop(rgb: Uint8Array, fraction: number, at: number): Promise<Uint8Array> {
  const side = Math.round(SIDE * fraction);
  const offset = Math.round((SIDE - side) * at);
  return sharp(rgb, raw)
    .extract({ left: offset, top: offset, width: side, height: side })
    .resize(SIDE, SIDE, { fit: 'fill' })
    .raw()
    .toBuffer();
}

/** The views in FEATURE_VIEWS order, each a model input of the same size as the original. */
export async function augmentedViews(input: ModelInput): Promise<Uint8Array[]> {
  const mirrored = await sharp(input.rgb, raw).flop().raw().toBuffer();
  // The centre, as if the camera stood closer.
  const cropped = await crop(input.rgb, 0.8, 0.5);
  // Another part, mirrored, brighter and less saturated, as under other light.
  const recoloured = await sharp(await crop(input.rgb, 0.85, 0.2), raw)
    .flop()
    .modulate({ brightness: 1.15, saturation: 0.75 })
    .raw()
    .toBuffer();
  return [input.rgb, mirrored, cropped, recoloured];
}
