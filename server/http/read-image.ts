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
    `The image is larger than ${limit} bytes (${limit / 1024 / 1024} MiB), Custom Vision's prediction limit. Downscale or recompress it.`,
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

function readMultipartImage(req: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // A part without a filename comes as a field, decoded to a string: latin1 maps every byte to one
        // character, so Buffer.from(value, 'latin1') below gets the image back byte for byte (utf8 would
        // mangle it). No other field is read.
        defCharset: 'latin1',
        limits: { files: MAX_PARTS, fields: MAX_PARTS, parts: MAX_PARTS, fileSize: limit, fieldSize: limit },
      });
    } catch (error) {
      reject(malformed((error as Error).message));
      return;
    }
    let image: Buffer | undefined;
    let settled = false;
    let received = 0;
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
      } else if (image) resolve(image);
      else reject(noImageData());
    };
    const countBytes = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit + MULTIPART_OVERHEAD_BYTES) settle(tooLarge(limit));
    };
    const onAborted = () =>
      settle(new CvError(400, CvErrorCode.BadRequestImageStream, 'The client closed the connection.'));
    const onRequestError = (error: Error) => settle(malformed(error.message));
    const stopWatching = watchForStall(req, idleMs, () => settle(stalled(idleMs)));

    parser.on('file', (name, stream) => {
      stream.on('error', (error: Error) => settle(malformed(error.message)));
      // Only the first imageData part is the image; any other file part is read past, wherever it comes.
      if (name !== 'imageData' || image) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => settle(tooLarge(limit)));
      // 'end' comes only for a part that arrived whole; a part cut short ends in 'error' instead.
      stream.on('end', () => {
        if (!stream.truncated) image ??= Buffer.concat(chunks);
      });
    });
    parser.on('field', (name, value, info) => {
      // Some clients send the image as a plain form value rather than a file part.
      if (name !== 'imageData' || image) return;
      if (info.valueTruncated) settle(tooLarge(limit));
      else image = Buffer.from(value, 'latin1');
    });
    parser.on('partsLimit', () => settle(malformed(`more than ${MAX_PARTS} parts.`)));
    parser.on('error', (error: Error) => settle(malformed(error.message)));
    parser.on('close', () => settle());
    req.on('data', countBytes).on('aborted', onAborted).on('error', onRequestError);
    req.pipe(parser);
  });
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

  const isMultipart = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
  const bytes = isMultipart
    ? await readMultipartImage(req, limit, idleMs)
    : await readBody(req, { limit, idleMs, tooLarge: () => tooLarge(limit) });
  if (bytes.length === 0) {
    throw new CvError(400, CvErrorCode.BadRequestImageStream, 'The request has no image: the body is empty.');
  }
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new CvError(
      400,
      CvErrorCode.BadRequestImageFormat,
      'The body is not a JPEG, PNG, GIF or BMP image (judged by its first bytes, not its Content-Type).',
    );
  }
  if (!looksComplete(bytes, format)) {
    throw new CvError(
      400,
      CvErrorCode.BadRequestImageFormat,
      `The ${format.toUpperCase()} image is truncated: its end marker is missing. Send the whole file.`,
    );
  }
  return { bytes, format };
}
