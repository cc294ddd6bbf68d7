// Collects a byte stream into a Blob, sealing a Blob every few MiB, so the bytes move into the browser's
// blob storage (which may page to disk) as they come instead of piling up as ArrayBuffers on the JS heap.
import { isArrayBufferBacked } from '../shared/bytes.ts';

const SEAL_BYTES = 4 * 1024 * 1024;

export async function streamToBlob(stream: ReadableStream<Uint8Array>, type: string): Promise<Blob> {
  const sealed: Blob[] = [];
  let pending: Uint8Array<ArrayBuffer>[] = [];
  let pendingBytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    // Blobs take only ArrayBuffer-backed views; a view over shared memory is copied first.
    pending.push(isArrayBufferBacked(value) ? value : value.slice());
    pendingBytes += value.byteLength;
    if (pendingBytes >= SEAL_BYTES) {
      sealed.push(new Blob(pending));
      pending = [];
      pendingBytes = 0;
    }
  }
  return new Blob([...sealed, ...pending], { type });
}
