// The local-training photo set (test/fixtures/local-training/, sources and licence in its README): three
// visibly different things, each split in a stable way into photos to train on and photos kept apart to
// test the trained classifier with.
import { readdirSync, readFileSync } from 'node:fs';

export const PHOTO_CLASSES = ['birds', 'flowers', 'fruit'] as const;
export type PhotoClass = (typeof PHOTO_CLASSES)[number];

export interface Photo {
  readonly name: string;
  readonly label: PhotoClass;
  readonly bytes: Buffer;
}

const root = new URL('../fixtures/local-training/', import.meta.url);

export function photosOf(label: PhotoClass): Photo[] {
  const folder = new URL(`${label}/`, root);
  return readdirSync(folder)
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .map((name) => ({ name, label, bytes: readFileSync(new URL(name, folder)) }));
}

/** Every fourth photo of each class is kept apart for testing; the rest are for training. */
export function splitPhotos(): { training: Photo[]; heldOut: Photo[] } {
  const all = PHOTO_CLASSES.flatMap((label) => photosOf(label).map((photo, index) => ({ photo, index })));
  return {
    training: all.filter(({ index }) => index % 4 !== 3).map(({ photo }) => photo),
    heldOut: all.filter(({ index }) => index % 4 === 3).map(({ photo }) => photo),
  };
}
