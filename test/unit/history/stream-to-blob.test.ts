import { describe, expect, it } from 'vitest';
import { streamToBlob } from '../../../src/history/stream-to-blob.ts';

/** Index of the first differing byte, or -1 (toEqual on megabytes is far too slow). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe('streamToBlob', () => {
  it('keeps every byte in order across the Blobs it seals every few MiB', async () => {
    const chunks = Array.from({ length: 11 }, (_, c) =>
      Uint8Array.from({ length: 1024 * 1024 + c }, (_, i) => (i * 131 + c) & 0xff),
    );
    const whole = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
    let at = 0;
    for (const chunk of chunks) {
      whole.set(chunk, at);
      at += chunk.byteLength;
    }
    const blob = await streamToBlob(streamOf(chunks), 'application/zip');
    expect(blob.type).toBe('application/zip');
    expect(firstDifference(new Uint8Array(await blob.arrayBuffer()), whole)).toBe(-1);
  });

  it('gives an empty Blob for an empty stream, and passes a stream error on', async () => {
    expect((await streamToBlob(streamOf([]), 'text/plain')).size).toBe(0);
    const failing = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.error(new Error('cancelled')),
    });
    await expect(streamToBlob(failing, 'text/plain')).rejects.toThrow('cancelled');
  });
});
