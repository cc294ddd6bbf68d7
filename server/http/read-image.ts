// Reads the image of a Custom Vision prediction request: either the raw body (application/octet-stream,
// or any other type) or the `imageData` field of a multipart/form-data body, as the cloud accepts.
// Everything is bounded by the size limit while it streams in, so an oversized body is refused without
// being buffered, and by an idle limit, so a body that stalls is refused too.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { CvError, CvErrorCode } from './cv-error.ts';
import { looksComplete, sniffImageFormat, type ImageFormat } from './image-format.ts';
import { readBody, stalled, watchForStall } from './read-body.ts';

/** Custom Vision's prediction limit, read as the exported container reads it: 4 * 1024 * 1024 bytes. */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

export interface RequestImage {
  readonly bytes: Buffer;
  readonly format: ImageFormat;
}

const tooLarge = (limit: number) =>
  new CvError(
    413,
    CvErrorCode.BadRequestImageSizeBytes,
    `The image is larger than ${limit} bytes (${limit / 1024 / 1024} MiB), Custom Vision's ${limit === MAX_IMAGE_BYTES ? 'prediction' : 'training'} limit. Downscale or recompress it.`,
  );

/** A body that stalls for longer than this is refused (408); see BODY_IDLE_TIMEOUT_MS. */
export const DEFAULT_BODY_IDLE_MS = 5_000;

/**
 * Multipart framing and the small fields beside the image (boundaries, part headers, an `application`
 * field) may add this much to the image's own limit; a multipart body larger than both together is
 * refused as it streams in, whatever it holds, so a chunked body cannot be read whole before the refusal.
 */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** Parts read from one body: the image and a few fields, in any order. */
const MAX_PARTS = 16;

const malformed = (detail: string) =>
  new CvError(400, CvErrorCode.BadRequestImageStream, `Malformed multipart/form-data: ${detail}`);

const noImageData = () =>
  new CvError(
    400,
    CvErrorCode.BadRequestImageStream,
    'The multipart/form-data body has no "imageData" field. Send the image as the imageData file field, or as the raw body with Content-Type: application/octet-stream.',
  );

/** One file of a multipart body: its field name, the file name it came with, and its bytes. */
interface MultipartFile {
  readonly field: string;
  readonly filename?: string;
  readonly bytes: Buffer;
}

interface MultipartOptions {
  /** The most bytes one file may hold. */
  readonly limit: number;
  readonly idleMs: number;
  /** Whether a part is one of the files wanted (by its field name, and whether it came as a file). */
  readonly wanted: (field: string, isFile: boolean) => boolean;
  /** How many wanted files are kept; beyond that, more are read past, or refused with `tooMany`. */
  readonly maxFiles: number;
  readonly tooMany?: () => CvError;
  /** How many parts the body may have in all. */
  readonly maxParts: number;
}

function readMultipartFiles(req: IncomingMessage, options: MultipartOptions): Promise<MultipartFile[]> {
  const { limit, idleMs, wanted, maxFiles, tooMany, maxParts } = options;
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // A part without a filename comes as a field, decoded to a string: latin1 maps every byte to one
        // character, so Buffer.from(value, 'latin1') below gets the image back byte for byte (utf8 would
        // mangle it). No other field is read.
        defCharset: 'latin1',
        limits: { files: maxParts, fields: maxParts, parts: maxParts, fileSize: limit, fieldSize: limit },
      });
    } catch (error) {
      reject(malformed((error as Error).message));
      return;
    }
    const files: (MultipartFile | undefined)[] = [];
    let settled = false;
    let received = 0;
    // The body may hold every file at its limit, plus framing and the small fields beside them.
    const bodyLimit = limit * maxFiles + MULTIPART_OVERHEAD_BYTES;
    // Settles once: the first failure answers, and reading stops there (the route closes the connection).
    // Every stream busboy hands out keeps an error listener for good: an 'error' event with no listener
    // (a body that ends inside a file part does that) would otherwise take the whole process down.
    const settle = (failure?: CvError) => {
      if (settled) return;
      settled = true;
      stopWatching();
      req.off('data', countBytes).off('aborted', onAborted).off('error', onRequestError);
      if (failure) {
        req.unpipe(parser);
        reject(failure);
      } else {
        const whole = files.filter((file): file is MultipartFile => file !== undefined);
        if (whole.length) resolve(whole);
        else reject(noImageData());
      }
    };
    const countBytes = (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyLimit) settle(tooLarge(limit));
    };
    const onAborted = () =>
      settle(new CvError(400, CvErrorCode.BadRequestImageStream, 'The client closed the connection.'));
    const onRequestError = (error: Error) => settle(malformed(error.message));
    const stopWatching = watchForStall(req, idleMs, () => settle(stalled(idleMs)));
    /** A place for one more wanted file, or undefined when there is none (read past, or refused). */
    const place = (): number | undefined => {
      if (files.length < maxFiles) return files.push(undefined) - 1;
      if (tooMany) settle(tooMany());
      return undefined;
    };

    parser.on('file', (field, stream, info) => {
      stream.on('error', (error: Error) => settle(malformed(error.message)));
      const index = wanted(field, true) ? place() : undefined;
      // A part that is not wanted is read past, wherever it comes.
      if (index === undefined) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => settle(tooLarge(limit)));
      // 'end' comes only for a part that arrived whole; a part cut short ends in 'error' instead.
      stream.on('end', () => {
        if (!stream.truncated) {
          const filename = info.filename;
          files[index] = { field, ...(filename ? { filename } : {}), bytes: Buffer.concat(chunks) };
        }
      });
    });
    parser.on('field', (field, value, info) => {
      // Some clients send the image as a plain form value rather than a file part.
      if (!wanted(field, false) || (files.length >= maxFiles && !tooMany)) return;
      if (info.valueTruncated) {
        settle(tooLarge(limit));
        return;
      }
      const index = place();
      if (index !== undefined) files[index] = { field, bytes: Buffer.from(value, 'latin1') };
    });
    parser.on('partsLimit', () => settle(malformed(`more than ${maxParts} parts.`)));
    parser.on('filesLimit', () => settle(malformed(`more than ${maxParts} files.`)));
    parser.on('error', (error: Error) => settle(malformed(error.message)));
    parser.on('close', () => settle());
    req.on('data', countBytes).on('aborted', onAborted).on('error', onRequestError);
    req.pipe(parser);
  });
}

/** Throws a 400 unless the bytes are a whole JPEG, PNG, GIF or BMP image (judged by its first bytes). */
export function checkImage(bytes: Buffer, which = 'The body'): RequestImage {
  if (bytes.length === 0) {
    throw new CvError(400, CvErrorCode.BadRequestImageStream, `${which} has no image: it is empty.`);
  }
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new CvError(
      400,
      CvErrorCode.BadRequestImageFormat,
      `${which} is not a JPEG, PNG, GIF or BMP image (judged by its first bytes, not its Content-Type).`,
    );
  }
  if (!looksComplete(bytes, format)) {
    throw new CvError(
      400,
      CvErrorCode.BadRequestImageFormat,
      `The ${format.toUpperCase()} image${which === 'The body' ? '' : ` in ${which.toLowerCase()}`} is truncated: its end marker is missing. Send the whole file.`,
    );
  }
  return { bytes, format };
}

/**
 * Reads and checks the image of a prediction request. Throws a CvError (400/413) for an empty, oversized,
 * malformed or non-image body; the magic numbers decide the format, whatever the Content-Type claims.
 */
export async function readRequestImage(
  req: IncomingMessage,
  limit = MAX_IMAGE_BYTES,
  idleMs = DEFAULT_BODY_IDLE_MS,
): Promise<RequestImage> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const bytes = isMultipart(req)
    ? (
        await readMultipartFiles(req, {
          limit,
          idleMs,
          // Only the first imageData part is the image; any other part is read past.
          wanted: (field) => field === 'imageData',
          maxFiles: 1,
          maxParts: MAX_PARTS,
        })
      )[0]!.bytes
    : await readBody(req, { limit, idleMs, tooLarge: () => tooLarge(limit) });
  return checkImage(bytes);
}

/** An image of a batch, with the file name it came with (Custom Vision reports on each by that name). */
export interface NamedRequestImage extends RequestImage {
  readonly name?: string;
}

/**
 * Reads and checks a batch of images: the raw body (one image), or every file part of a multipart body
 * (and imageData sent as a plain value), each up to `limit` bytes and at most `maxFiles` of them.
 */
export async function readRequestImages(
  req: IncomingMessage,
  options: { limit: number; maxFiles: number; idleMs: number; tooMany: () => CvError },
): Promise<NamedRequestImage[]> {
  const { limit, maxFiles, idleMs, tooMany } = options;
  if (!isMultipart(req)) return [await readRequestImage(req, limit, idleMs)];
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit * maxFiles + MULTIPART_OVERHEAD_BYTES) {
    throw tooLarge(limit);
  }
  const files = await readMultipartFiles(req, {
    limit,
    idleMs,
    wanted: (field, isFile) => isFile || field === 'imageData',
    maxFiles,
    tooMany,
    maxParts: maxFiles + MAX_PARTS,
  });
  return files.map((file, index) => ({
    ...checkImage(file.bytes, `Image ${index + 1} (${file.filename ?? file.field})`),
    ...(file.filename ? { name: file.filename } : {}),
  }));
}

const isMultipart = (req: IncomingMessage) =>
  /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
