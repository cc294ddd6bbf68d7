// Rows of the store as Custom Vision's JSON: Project, Tag, Image (with its tags and regions). Image files
// are served by this server under the training routes, so their URIs are root-relative paths under the
// same access control as every other training route.
import type { Row } from './database.ts';

/** Custom Vision writes timestamps to the second, e.g. 2019-03-10T06:10:28Z. */
export const cloudTimestamp = (date = new Date()) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

const str = (row: Row, key: string) => String(row[key] ?? '');
const num = (row: Row, key: string) => Number(row[key] ?? 0);

export function imageFileUri(projectId: string, imageId: string, kind: 'thumbnail' | 'original'): string {
  return `/customvision/v3.3/training/projects/${projectId}/images/${imageId}/${kind}`;
}

export function projectJson(row: Row) {
  const classificationType = row['classification_type'];
  return {
    id: str(row, 'id'),
    name: str(row, 'name'),
    description: str(row, 'description'),
    settings: {
      domainId: str(row, 'domain_id'),
      classificationType: classificationType === null ? null : String(classificationType),
      targetExportPlatforms: JSON.parse(str(row, 'target_export_platforms') || '[]') as string[],
      useNegativeSet: true,
      imageProcessingSettings: { augmentationMethods: {} },
    },
    created: str(row, 'created'),
    lastModified: str(row, 'last_modified'),
    thumbnailUri: null,
    drModeEnabled: false,
    status: 'Succeeded',
  };
}

export function tagJson(row: Row) {
  return {
    id: str(row, 'id'),
    name: str(row, 'name'),
    description: str(row, 'description'),
    type: str(row, 'type'),
    imageCount: num(row, 'image_count'),
  };
}

export interface RegionJson {
  readonly regionId: string;
  readonly tagName: string;
  readonly created: string;
  readonly tagId: string;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export function regionJson(row: Row): RegionJson {
  return {
    regionId: str(row, 'id'),
    tagName: str(row, 'tag_name'),
    created: str(row, 'created'),
    tagId: str(row, 'tag_id'),
    left: num(row, 'left'),
    top: num(row, 'top'),
    width: num(row, 'width'),
    height: num(row, 'height'),
  };
}

export function imageJson(image: Row, tags: readonly Row[], regions: readonly Row[]) {
  const projectId = str(image, 'project_id');
  const id = str(image, 'id');
  const original = imageFileUri(projectId, id, 'original');
  const metadata = image['metadata'];
  return {
    id,
    created: str(image, 'created'),
    width: num(image, 'width'),
    height: num(image, 'height'),
    resizedImageUri: original,
    thumbnailUri: imageFileUri(projectId, id, 'thumbnail'),
    originalImageUri: original,
    tags: tags.map((tag) => ({
      tagId: str(tag, 'tag_id'),
      tagName: str(tag, 'tag_name'),
      created: str(tag, 'created'),
    })),
    regions: regions.map(regionJson),
    metadata: typeof metadata === 'string' ? (JSON.parse(metadata) as Record<string, string>) : {},
  };
}
export type ImageJson = ReturnType<typeof imageJson>;
