// How much memory the large request bodies being read at once may take. A training upload holds its whole
// body (up to 64 images of 6 MiB, more again while JSON is parsed and base64 decoded), and without a bound
// a few such requests at once would exhaust the heap and take every client down with the process. A
// request reserves what its body may take before it is read; one that does not fit now is told to come
// back (429 with Retry-After), except that a request always fits when no other is being read, so the
// largest allowed body is never refused for good.
import { CvError, CvErrorCode } from '../http/cv-error.ts';

/** What the training uploads being read at once may take together, by default. */
export const BODY_MEMORY_BYTES = 512 * 1024 * 1024;

export class BodyMemory {
  private inUse = 0;

  constructor(private readonly budget = BODY_MEMORY_BYTES) {}

  /** Reserves `bytes`; returns the function that gives them back (call it once), or throws a 429. */
  reserve(bytes: number): () => void {
    if (this.inUse > 0 && this.inUse + bytes > this.budget) {
      throw new CvError(
        429,
        CvErrorCode.TooManyRequests,
        'The server is reading other large uploads; retry in a moment (Retry-After), or send smaller batches.',
        { 'Retry-After': '2' },
      );
    }
    this.inUse += bytes;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.inUse -= bytes;
    };
  }

  get bytesInUse(): number {
    return this.inUse;
  }
}
