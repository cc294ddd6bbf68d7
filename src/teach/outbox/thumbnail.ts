// A small JPEG of a taught picture for the outbox's list, so that the list never reads the full pictures
// (up to 1920 px each) from storage. Where the page cannot draw off-screen (old browsers, Node), there is
// no thumbnail and the list shows a placeholder.
import type { StoredPicture } from './outbox-types.ts';

export const THUMBNAIL_LONG_SIDE = 160;

export async function makeThumbnail(picture: Blob): Promise<StoredPicture | undefined> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') return undefined;
  try {
    const probe = await createImageBitmap(picture);
    const scale = Math.min(1, THUMBNAIL_LONG_SIDE / Math.max(probe.width, probe.height));
    const width = Math.max(1, Math.round(probe.width * scale));
    const height = Math.max(1, Math.round(probe.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')?.drawImage(probe, 0, 0, width, height);
    probe.close();
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.7 });
    return { data: await blob.arrayBuffer(), type: 'image/jpeg' };
  } catch {
    return undefined; // a thumbnail is a nicety: the teach itself must not fail for it
  }
}
