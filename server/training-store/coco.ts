// A project of the store as a COCO dataset: annotations.json (COCO's object detection format: images,
// annotations with pixel boxes [x, y, width, height], categories) beside an images/ folder holding each
// image's file. Regions become annotations; whole-image tags, which COCO has no place for, are kept on
// each image as `tags` (names), and Custom Vision's ids as `custom_vision_id`, so nothing is lost.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { TrainingStore } from './store.ts';

const EXTENSIONS: Readonly<Record<string, string>> = { jpeg: 'jpg', png: 'png', gif: 'gif', bmp: 'bmp' };

export interface CocoExportResult {
  readonly images: number;
  readonly annotations: number;
  readonly categories: number;
  readonly file: string;
}

const round = (value: number) => Math.round(value * 100) / 100;

export async function exportCoco(
  store: TrainingStore,
  projectId: string,
  outDir: string,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<CocoExportResult> {
  const project = store.project(projectId);
  const tags = store.tags(projectId);
  const categories = tags.map((tag, index) => ({ id: index + 1, name: tag.name, supercategory: 'none' }));
  const categoryOf = new Map(tags.map((tag, index) => [tag.id, index + 1]));
  const total = store.imageCount(projectId, {});
  await fsp.mkdir(path.join(outDir, 'images'), { recursive: true });
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  let done = 0;
  for (const image of store.allImages(projectId)) {
    const id = images.length + 1;
    const fileName = `${image.id}.${EXTENSIONS[image.format] ?? 'jpg'}`;
    await fsp.copyFile(image.file, path.join(outDir, 'images', fileName));
    images.push({
      id,
      file_name: `images/${fileName}`,
      width: image.width,
      height: image.height,
      date_captured: image.created,
      custom_vision_id: image.id,
      tags: image.tags.map((tag) => tag.tagName),
    });
    for (const region of image.regions) {
      const bbox = [
        round(region.left * image.width),
        round(region.top * image.height),
        round(region.width * image.width),
        round(region.height * image.height),
      ];
      annotations.push({
        id: annotations.length + 1,
        image_id: id,
        category_id: categoryOf.get(region.tagId),
        bbox,
        area: round(bbox[2]! * bbox[3]!),
        iscrowd: 0,
        custom_vision_id: region.regionId,
      });
    }
    progress(++done, total);
  }
  const dataset = {
    info: {
      description: project.name,
      version: '1.0',
      date_created: new Date().toISOString(),
      contributor: 'Sightline local training store',
      custom_vision_project_id: project.id,
    },
    licenses: [],
    images,
    annotations,
    categories,
  };
  const file = path.join(outDir, 'annotations.json');
  // Written whole under a temporary name, then renamed: a reader never sees half a file.
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(dataset, null, 1));
  fs.renameSync(`${file}.tmp`, file);
  return { images: images.length, annotations: annotations.length, categories: categories.length, file };
}
