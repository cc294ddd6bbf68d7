// The one module that owns the Comlink glue to the frame worker; everything else goes through this class.
//
// A worker that is gone (it crashed, was closed, or its script never loaded) never answers, and a Comlink
// call to it never settles: the capture loop would wait on it for good, silently. So every call has a
// deadline; a call that misses it fails, and the worker is replaced for the calls after it.
import { releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { EncodeOptions, EncodedFrame, FrameWorkerApi, Thumbnail } from './frame-worker-api.ts';

/** Far beyond any real encode (tens of ms) or thumbnail; only a worker that is gone takes this long. */
export const WORKER_DEADLINE_MS = 10_000;

interface Connection {
  readonly worker: Worker;
  readonly remote: Remote<FrameWorkerApi>;
}

function connect(): Connection {
  const worker = new Worker(new URL('./frame.worker.ts', import.meta.url), {
    type: 'module',
    name: 'sightline-frames',
  });
  return { worker, remote: wrap<FrameWorkerApi>(worker) };
}

function disconnect({ worker, remote }: Connection): void {
  remote[releaseProxy]();
  worker.terminate();
}

export class FrameWorkerClient {
  private connection = connect();
  private disposed = false;

  /** Sends the frame to the worker by transfer (the caller must not use or close it afterwards). */
  encode(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame> {
    return this.call((remote) => remote.encode(transfer(frame, [frame as Transferable]), options));
  }

  /** A history thumbnail made from an encoded frame's JPEG, which is transferred (the caller loses it). */
  thumbnail(jpeg: ArrayBuffer, maxLongSide: number, quality: number): Promise<Thumbnail> {
    return this.call((remote) => remote.thumbnail(transfer(jpeg, [jpeg]), maxLongSide, quality));
  }

  dispose(): void {
    this.disposed = true;
    disconnect(this.connection);
  }

  private async call<T>(run: (remote: Remote<FrameWorkerApi>) => Promise<T>): Promise<T> {
    const used = this.connection;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.replace(used);
        reject(
          new Error(`The frame worker did not answer within ${WORKER_DEADLINE_MS} ms; it was restarted.`),
        );
      }, WORKER_DEADLINE_MS);
    });
    try {
      return await Promise.race([run(used.remote), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Replaces `stale` with a fresh worker, once, however many calls to it missed their deadline. */
  private replace(stale: Connection): void {
    if (this.disposed || this.connection !== stale) return;
    disconnect(stale);
    this.connection = connect();
  }
}
