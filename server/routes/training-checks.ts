// The limits Custom Vision puts on training requests, checked before anything goes upstream, each refusal
// in Custom Vision's error shape: images up to 6 MB, 64 images and 20 tags a batch, regions inside the
// image (0..1) with a positive size and at most 300 of them an image, ids that are GUIDs, and the batch
// sizes of the id lists.
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { checkImage } from '../http/read-image.ts';

/** Custom Vision's training upload limit per image. */
export const MAX_TRAINING_IMAGE_BYTES = 6 * 1024 * 1024;
export const MAX_BATCH_IMAGES = 64;
export const MAX_BATCH_TAGS = 20;
export const MAX_REGIONS_PER_IMAGE = 300;
/** createImageRegions and deleteImageRegions take at most this many regions a call. */
export const MAX_BATCH_REGIONS = 64;
/** createImageTags takes at most this many image-tag pairs a call. */
export const MAX_BATCH_IMAGE_TAGS = 128;
/** getImagesByIds, deleteImages and the image lists' `take`. */
export const MAX_IMAGE_IDS = 256;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rounding in a client's arithmetic (0.1 + 0.2) must not make a region that ends at the edge invalid. */
const EDGE_SLACK = 1e-6;

export const badRequest = (code: CvErrorCode, message: string) => new CvError(400, code, message);

const exceeded = (what: string, most: number, count: number) =>
  badRequest(
    CvErrorCode.BadRequestExceededBatchSize,
    `At most ${most} ${what} a batch; this one has ${count}. Split it into smaller batches.`,
  );

/** Checks a comma-separated id list (a query parameter): GUIDs, at most `most` of them. */
export function checkIdList(name: string, value: string, most: number): void {
  const ids = value.split(',').filter((id) => id.trim() !== '');
  if (ids.length > most) throw exceeded(name, most, ids.length);
  checkIds(name, ids);
}

function checkIds(name: string, ids: readonly unknown[]): void {
  const bad = ids.findIndex((id) => typeof id !== 'string' || !GUID.test(id.trim()));
  if (bad >= 0) {
    throw badRequest(CvErrorCode.BadRequestInvalidIds, `${name}[${bad}] is not a GUID.`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The array at `value[key]`, or [] when it is absent; a 400 when it is something else. */
function list(value: Record<string, unknown>, key: string, where: string): unknown[] {
  const found = value[key];
  if (found === undefined || found === null) return [];
  if (!Array.isArray(found)) throw badRequest(CvErrorCode.BadRequest, `${where}${key} must be an array.`);
  return found;
}

function checkTagIds(value: Record<string, unknown>, where: string): void {
  const tagIds = list(value, 'tagIds', where);
  if (tagIds.length > MAX_BATCH_TAGS) throw exceeded(`tags (${where}tagIds)`, MAX_BATCH_TAGS, tagIds.length);
  checkIds(`${where}tagIds`, tagIds);
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A region of an image: normalised (0..1), inside the image, with a positive width and height. */
function checkRegion(region: unknown, where: string, idFields: readonly string[]): void {
  if (!isObject(region)) throw badRequest(CvErrorCode.BadRequestImageRegions, `${where} must be an object.`);
  for (const field of idFields) checkIds(`${where}.${field}`, [region[field]]);
  const { left, top, width, height } = region;
  if (!isNumber(left) || !isNumber(top) || !isNumber(width) || !isNumber(height)) {
    throw badRequest(
      CvErrorCode.BadRequestImageRegions,
      `${where} needs left, top, width and height as numbers (fractions of the image, 0 to 1).`,
    );
  }
  if (
    width <= 0 ||
    height <= 0 ||
    left < 0 ||
    top < 0 ||
    left + width > 1 + EDGE_SLACK ||
    top + height > 1 + EDGE_SLACK
  ) {
    throw badRequest(
      CvErrorCode.BadRequestImageRegions,
      `${where} is not inside the image: left, top, width and height are fractions of it (0 to 1), ` +
        `width and height above 0, left + width and top + height at most 1.`,
    );
  }
}

function checkImageRegions(image: Record<string, unknown>, where: string): void {
  const regions = list(image, 'regions', where);
  if (regions.length > MAX_REGIONS_PER_IMAGE) {
    throw badRequest(
      CvErrorCode.BadRequestImageRegions,
      `${where}regions has ${regions.length} regions; an image may have at most ${MAX_REGIONS_PER_IMAGE}.`,
    );
  }
  regions.forEach((region, index) => checkRegion(region, `${where}regions[${index}]`, ['tagId']));
}

/** A batch's images array: 1 to 64 objects. */
function batchImages(body: Record<string, unknown>): Record<string, unknown>[] {
  const images = list(body, 'images', '');
  if (images.length === 0) {
    throw badRequest(CvErrorCode.BadRequestRequiredParamIsNull, 'The batch has no images.');
  }
  if (images.length > MAX_BATCH_IMAGES) throw exceeded('images', MAX_BATCH_IMAGES, images.length);
  return images.map((image, index) => {
    if (!isObject(image)) throw badRequest(CvErrorCode.BadRequest, `images[${index}] must be an object.`);
    return image;
  });
}

/** ImageFileCreateBatch: images with their bytes (base64), tags and regions. */
function checkFileBatch(body: Record<string, unknown>): void {
  checkTagIds(body, '');
  batchImages(body).forEach((image, index) => {
    const where = `images[${index}].`;
    checkTagIds(image, where);
    checkImageRegions(image, where);
    const contents = image['contents'];
    if (typeof contents !== 'string' || contents === '') {
      throw badRequest(
        CvErrorCode.BadRequestImageStream,
        `${where}contents must hold the image, base64-encoded.`,
      );
    }
    const bytes = Buffer.from(contents, 'base64');
    if (bytes.length > MAX_TRAINING_IMAGE_BYTES) {
      throw new CvError(
        413,
        CvErrorCode.BadRequestImageSizeBytes,
        `${where}contents is ${bytes.length} bytes; a training image may have at most ${MAX_TRAINING_IMAGE_BYTES} (6 MiB).`,
      );
    }
    checkImage(
      bytes,
      `Image ${index + 1} (${typeof image['name'] === 'string' ? image['name'] : 'contents'})`,
    );
  });
}

/** ImageIdCreateBatch: stored predictions promoted by id, with tags and regions. */
function checkPredictionBatch(body: Record<string, unknown>): void {
  checkTagIds(body, '');
  batchImages(body).forEach((image, index) => {
    const where = `images[${index}].`;
    checkIds(`${where}id`, [image['id']]);
    checkTagIds(image, where);
    checkImageRegions(image, where);
  });
}

/** ImageRegionCreateBatch: regions added to images already uploaded. */
function checkRegionBatch(body: Record<string, unknown>): void {
  const regions = list(body, 'regions', '');
  if (regions.length === 0) throw badRequest(CvErrorCode.BadRequestRequiredParamIsNull, 'No regions given.');
  if (regions.length > MAX_BATCH_REGIONS) throw exceeded('regions', MAX_BATCH_REGIONS, regions.length);
  regions.forEach((region, index) => checkRegion(region, `regions[${index}]`, ['imageId', 'tagId']));
}

/** ImageTagCreateBatch: whole-image tags added to images already uploaded. */
function checkImageTagBatch(body: Record<string, unknown>): void {
  const tags = list(body, 'tags', '');
  if (tags.length === 0) throw badRequest(CvErrorCode.BadRequestRequiredParamIsNull, 'No tags given.');
  if (tags.length > MAX_BATCH_IMAGE_TAGS) throw exceeded('image tags', MAX_BATCH_IMAGE_TAGS, tags.length);
  tags.forEach((tag, index) => {
    if (!isObject(tag))
      throw badRequest(CvErrorCode.BadRequestImageTags, `tags[${index}] must be an object.`);
    checkIds(`tags[${index}].imageId`, [tag['imageId']]);
    checkIds(`tags[${index}].tagId`, [tag['tagId']]);
  });
}

const JSON_CHECKS: Readonly<Record<string, (body: Record<string, unknown>) => void>> = {
  createImagesFromFiles: checkFileBatch,
  createImagesFromPredictions: checkPredictionBatch,
  createImageRegions: checkRegionBatch,
  createImageTags: checkImageTagBatch,
};

/** Checks an operation's parsed JSON body: an object, within the operation's limits. */
export function checkJsonBody(operation: string, body: unknown): void {
  if (!isObject(body)) throw badRequest(CvErrorCode.BadRequest, 'The body must be a JSON object.');
  JSON_CHECKS[operation]?.(body);
}

/**
 * The most a JSON body may hold: 256 MiB for an upload (about 48 frames of 4 MB in base64), far less for the
 * rest. A batch of 64 images of 6 MiB would be 513 MiB of JSON, past the longest string V8 can make, and
 * parsed it would take gigabytes: larger batches go as multipart (the `images` route) or split.
 */
export const jsonBodyLimit = (operation: string) =>
  operation === 'createImagesFromFiles' ? 256 * 1024 * 1024 : 1024 * 1024;

/** Query parameters that are id lists or counts: their limits, per operation. */
export function checkQuery(operation: string, name: string, value: string): void {
  switch (name) {
    case 'tagIds':
      checkIdList('tagIds', value, MAX_BATCH_TAGS);
      return;
    case 'imageIds':
      checkIdList('imageIds', value, operation === 'deleteImageTags' ? MAX_BATCH_IMAGES : MAX_IMAGE_IDS);
      return;
    case 'regionIds':
      checkIdList('regionIds', value, MAX_BATCH_REGIONS);
      return;
    case 'iterationId':
      checkIdList('iterationId', value, 1);
      return;
    case 'take':
      if (!/^\d+$/.test(value) || Number(value) > MAX_IMAGE_IDS) {
        throw badRequest(CvErrorCode.BadRequest, `take must be a whole number up to ${MAX_IMAGE_IDS}.`);
      }
      return;
    case 'publishName':
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
      if (value === '' || value.length > 256 || /[\u0000-\u001f/\\?#]/.test(value)) {
        throw badRequest(
          CvErrorCode.BadRequestInvalidPublishName,
          'publishName must be 1 to 256 characters with no control characters, / \\ ? or #.',
        );
      }
      return;
  }
}
