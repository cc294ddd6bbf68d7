// The one module that owns the Comlink glue to the frame worker. Everything else calls encodeFrame().
import { releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { EncodeOptions, EncodedFrame, FrameWorkerApi, Thumbnail } from './frame-worker-api.ts';

export class FrameWorkerClient {
  private readonly worker: Worker;
  private readonly remote: Remote<FrameWorkerApi>;

  constructor() {
    this.worker = new Worker(new URL('./frame.worker.ts', import.meta.url), {
      type: 'module',
      name: 'sightline-frames',
    });
    this.remote = wrap<FrameWorkerApi>(this.worker);
  }

  /** Sends the frame to the worker by transfer (the caller must not use or close it afterwards). */
  encode(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame> {
    return this.remote.encode(transfer(frame, [frame as Transferable]), options);
  }

  /** A history thumbnail made from an encoded frame's JPEG, which is transferred (the caller loses it). */
  thumbnail(jpeg: ArrayBuffer, maxLongSide: number, quality: number): Promise<Thumbnail> {
    return this.remote.thumbnail(transfer(jpeg, [jpeg]), maxLongSide, quality);
  }

  dispose(): void {
    this.remote[releaseProxy]();
    this.worker.terminate();
  }
}
