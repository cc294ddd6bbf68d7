// Image files on disk, named by their SHA-256 (the same bytes are one file, whatever uses them). A file
// is written to a temporary name, synced, then renamed into place, so a file under its final name is
// always whole. Files are written before the database row that names them and deleted after the row is
// gone: a crash between the two leaves only a file no row names, which sweep() removes at the next start.
// Thumbnails are derived from the originals when first asked for, and kept beside them.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { decodeBmp } from '../detector/bmp.ts';
import { MAX_IMAGE_PIXELS } from '../detector/image-probe.ts';

/** Custom Vision's thumbnails fit in about this many pixels a side. */
const THUMBNAIL_SIDE = 320;

/** Thumbnails made at the same time, at most. */
const MAX_THUMBNAIL_BUILDS = 2;

/** Runs at most `most` tasks at once; the others wait their turn, in order. */
class Limit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly most: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.most) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export class BlobFiles {
  private readonly originals: string;
  private readonly thumbnails: string;
  private readonly temporary: string;
  /** Files being written for uploads not yet committed: a concurrent delete must leave them be. */
  private readonly pending = new Map<string, number>();
  /** Thumbnails being made now, by original. */
  private readonly building = new Map<string, Promise<Buffer>>();
  private readonly builds = new Limit(MAX_THUMBNAIL_BUILDS);

  constructor(dir: string, options: { readOnly: boolean }) {
    this.originals = path.join(dir, 'images');
    this.thumbnails = path.join(dir, 'thumbnails');
    this.temporary = path.join(dir, 'tmp');
    if (options.readOnly) return;
    for (const folder of [this.originals, this.thumbnails, this.temporary]) {
      fs.mkdirSync(folder, { recursive: true });
    }
  }

  originalPath(sha256: string): string {
    return path.join(this.originals, sha256.slice(0, 2), sha256);
  }

  private thumbnailPath(sha256: string): string {
    return path.join(this.thumbnails, sha256.slice(0, 2), `${sha256}.jpg`);
  }

  /** Marks a file as about to be written for an upload; release() once its transaction is over. */
  hold(sha256: string): void {
    this.pending.set(sha256, (this.pending.get(sha256) ?? 0) + 1);
  }

  release(sha256: string): void {
    const count = (this.pending.get(sha256) ?? 1) - 1;
    if (count > 0) this.pending.set(sha256, count);
    else this.pending.delete(sha256);
  }

  /** Writes an original unless it is there already (same name, same bytes). Throws ENOSPC and the like. */
  async write(sha256: string, bytes: Buffer): Promise<void> {
    const target = this.originalPath(sha256);
    if (await exists(target)) return;
    await this.writeAtomically(target, bytes);
  }

  private async writeAtomically(target: string, bytes: Buffer): Promise<void> {
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const temporary = path.join(this.temporary, randomBytes(12).toString('hex'));
    try {
      const handle = await fsp.open(temporary, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.rename(temporary, target);
      // The rename is durable only once its directory is synced: before the row that names the file is
      // committed, so that a power cut can never leave a row without its file.
      const directory = await fsp.open(path.dirname(target), 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    } catch (error) {
      await fsp.rm(temporary, { force: true });
      throw error;
    }
  }

  read(sha256: string): Promise<Buffer> {
    return fsp.readFile(this.originalPath(sha256));
  }

  /**
   * The thumbnail (JPEG), made from the original the first time it is asked for. One image's thumbnail is
   * made once however many ask for it at the same moment, and at most MAX_THUMBNAIL_BUILDS are made at
   * once: each decodes a whole picture, and a page of thumbnails must not take the event loop's CPU and
   * memory all at once.
   */
  async thumbnail(sha256: string, format: string): Promise<Buffer> {
    const target = this.thumbnailPath(sha256);
    try {
      return await fsp.readFile(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let building = this.building.get(sha256);
    if (!building) {
      building = this.builds.run(() => this.makeThumbnail(sha256, format, target));
      this.building.set(sha256, building);
      void building.finally(() => this.building.delete(sha256)).catch(() => undefined);
    }
    return building;
  }

  private async makeThumbnail(sha256: string, format: string, target: string): Promise<Buffer> {
    const original = await this.read(sha256);
    const source =
      format === 'bmp'
        ? (() => {
            const raw = decodeBmp(original);
            return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } });
          })()
        : // Stored images passed the detector's limits; the pixel cap here is the net under that, and
          // JPEGs shrink as they load.
          sharp(original, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'none' });
    const thumbnail = await source
      .rotate()
      .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 80 })
      .toBuffer();
    // Kept for next time when the disk has room; served either way.
    await this.writeAtomically(target, thumbnail).catch(() => undefined);
    return thumbnail;
  }

  /** Deletes the files of originals no row names any more, unless an upload is writing them now. */
  async remove(sha256s: readonly string[]): Promise<void> {
    for (const sha256 of sha256s) {
      if (this.pending.has(sha256)) continue;
      await fsp.rm(this.originalPath(sha256), { force: true });
      await fsp.rm(this.thumbnailPath(sha256), { force: true });
    }
  }

  /** At start: removes temporary files and any file no row names (an upload cut short by a crash). */
  sweep(known: (sha256: string) => boolean): number {
    let removed = 0;
    fs.rmSync(this.temporary, { recursive: true, force: true });
    fs.mkdirSync(this.temporary, { recursive: true });
    for (const root of [this.originals, this.thumbnails]) {
      for (const shard of fs.readdirSync(root)) {
        for (const name of fs.readdirSync(path.join(root, shard))) {
          if (!known(name.replace(/\.jpg$/, ''))) {
            fs.rmSync(path.join(root, shard, name), { force: true });
            removed++;
          }
        }
      }
    }
    return removed;
  }
}

const exists = (file: string) =>
  fsp.access(file).then(
    () => true,
    () => false,
  );
