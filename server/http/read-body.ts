// Reads a request body with two guards: a size limit, checked as the bytes stream in (an oversized body
// is refused without being buffered), and an idle limit, so a client that drips its body a byte at a time
// (or stops) is answered 408 instead of holding a connection and a buffer for as long as it likes.
import type { IncomingMessage } from 'node:http';
import { CvError, CvErrorCode } from './cv-error.ts';

export interface BodyLimits {
  readonly limit: number;
  /** Refuse the body when nothing arrives for this long. */
  readonly idleMs: number;
  readonly tooLarge: () => CvError;
}

export const stalled = (idleMs: number) =>
  new CvError(
    408,
    CvErrorCode.BadRequestImageStream,
    `The request body stalled: nothing arrived for ${idleMs} ms. Send the whole body without pauses.`,
  );

/**
 * Calls `onStall` when `req` delivers no data for `idleMs`; returns the function that stops watching.
 * Works whoever reads the body (a 'data' listener here does not change how it flows once piped).
 */
export function watchForStall(req: IncomingMessage, idleMs: number, onStall: () => void): () => void {
  const timer = setTimeout(onStall, idleMs);
  // refresh() restarts the same timer: no new timer object for every chunk of every body.
  const onData = () => timer.refresh();
  req.on('data', onData);
  return () => {
    clearTimeout(timer);
    req.off('data', onData);
  };
}

export function readBody(req: IncomingMessage, { limit, idleMs, tooLarge }: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: CvError) => {
      cleanup();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      // A camera frame usually arrives in one chunk: use it as it is. Every copy of a body is another
      // off-heap buffer, and those are what drive the garbage collector on the forwarding path.
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) =>
      fail(
        new CvError(
          400,
          CvErrorCode.BadRequestImageStream,
          `The request body could not be read: ${error.message}`,
        ),
      );
    const onAborted = () => onError(new Error('the client closed the connection'));
    const stopWatching = watchForStall(req, idleMs, () => fail(stalled(idleMs)));
    const cleanup = () => {
      stopWatching();
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
