// UTF-8 through the TextEncoder and TextDecoder that every runtime Sightline uses has (browsers, workers,
// Node), typed here because this layer compiles without the DOM's or Node's type libraries.

interface Utf8Globals {
  TextEncoder: new () => { encode(text: string): Uint8Array<ArrayBuffer> };
  TextDecoder: new () => { decode(bytes: Uint8Array): string };
}

const platform = globalThis as unknown as Utf8Globals;
const encoder = new platform.TextEncoder();
const decoder = new platform.TextDecoder();

export const encodeUtf8 = (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text);
export const decodeUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes);
