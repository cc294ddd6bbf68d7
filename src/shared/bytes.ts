// Byte views, as the platform APIs want them: fetch bodies and Blob parts take only views over an
// ArrayBuffer, while a view may sit on a SharedArrayBuffer (and then has to be copied first).

export function isArrayBufferBacked(view: Uint8Array): view is Uint8Array<ArrayBuffer> {
  return view.buffer instanceof ArrayBuffer;
}
