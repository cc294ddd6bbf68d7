// What a client is told, in Custom Vision's terms, when a worker pool (the embedded detector's or an
// exported model's) could not answer: the same four cases for both, from each pool's own error classes.
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { ImageTooLargeError } from '../detector/image-probe.ts';

type ErrorClass<E extends Error = Error> = abstract new (...args: never[]) => E;

export interface PoolErrorClasses {
  /** Every worker busy and the wait queue full. */
  readonly queueFull: ErrorClass<Error & { readonly retryAfterSeconds: number }>;
  /** The picture could not be decoded. */
  readonly unreadable: ErrorClass;
  /** A worker failed or stopped. */
  readonly failed: ErrorClass;
}

/** The client-facing error for a pool's failure; any other error as it is. */
export function poolRefusal(error: unknown, classes: PoolErrorClasses): unknown {
  if (error instanceof classes.queueFull) {
    return new CvError(
      429,
      CvErrorCode.TooManyRequests,
      `${error.message} Retry after ${error.retryAfterSeconds} s.`,
      { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
  if (error instanceof classes.failed) {
    return new CvError(503, CvErrorCode.ErrorPredictionServiceUnavailable, error.message, {
      'Retry-After': '5',
    });
  }
  if (error instanceof ImageTooLargeError) {
    return new CvError(400, CvErrorCode.BadRequestImageDimensions, error.message);
  }
  if (error instanceof classes.unreadable) {
    return new CvError(
      400,
      CvErrorCode.BadRequestImageFormat,
      `The image could not be decoded (corrupt or truncated?): ${error.message}`,
    );
  }
  return error;
}
