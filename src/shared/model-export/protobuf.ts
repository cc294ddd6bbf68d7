// The protocol buffers wire format, as far as ONNX model files need it: enough to read a model's
// signature and metadata without a runtime, to expose an inner tensor as an output, and to write the
// small test models. Unknown fields are skipped, never misread.
import { decodeUtf8, encodeUtf8 } from './utf8.ts';

/** Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit. */
export type WireType = 0 | 1 | 2 | 5;

export interface ProtoField {
  readonly number: number;
  readonly wireType: WireType;
  /** For varints; exact up to 2^53, which every length, enum and shape in a model stays under. */
  readonly value: number;
  /** For length-delimited fields: the bytes (a nested message, a string, packed numbers). */
  readonly bytes: Uint8Array;
  /** The whole field as it was encoded, tag included: copied verbatim when a message is rewritten. */
  readonly raw: Uint8Array;
}

export class ProtobufError extends Error {
  override name = 'ProtobufError';
}

const EMPTY: Uint8Array = new Uint8Array(0);

function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let offset = start; offset < bytes.length && offset < start + 10; offset++) {
    const byte = bytes[offset]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: offset + 1 };
  }
  throw new ProtobufError(
    `a varint at byte ${start} runs past the end: the file is truncated or not protobuf`,
  );
}

/** Every field of one message, in file order (repeated fields appear once per value). */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const start = offset;
    const tag = readVarint(bytes, offset);
    offset = tag.next;
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    let value = 0;
    let content = EMPTY;
    if (wireType === 0) {
      const varint = readVarint(bytes, offset);
      value = varint.value;
      offset = varint.next;
    } else if (wireType === 1) {
      offset += 8;
    } else if (wireType === 5) {
      offset += 4;
    } else if (wireType === 2) {
      const length = readVarint(bytes, offset);
      offset = length.next;
      content = bytes.subarray(offset, offset + length.value);
      offset += length.value;
    } else {
      throw new ProtobufError(`wire type ${wireType} at byte ${start} is not one a model file uses`);
    }
    if (offset > bytes.length || number === 0) {
      throw new ProtobufError(
        `field at byte ${start} runs past the end: the file is truncated or not protobuf`,
      );
    }
    fields.push({
      number,
      wireType: wireType,
      value,
      bytes: content,
      raw: bytes.subarray(start, offset),
    });
  }
  return fields;
}

export const fieldText = (field: ProtoField) => decodeUtf8(field.bytes);

/** The fields numbered `number`, in order. */
export const fieldsNumbered = (fields: readonly ProtoField[], number: number) =>
  fields.filter((field) => field.number === number);

// --- writing ---

function varintBytes(value: number): number[] {
  if (!Number.isSafeInteger(value)) throw new ProtobufError(`${value} cannot be written as a varint`);
  // Negative int64 values take ten bytes in two's complement.
  let big = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(big & 0x7fn);
    big >>= 7n;
    if (big > 0n) byte |= 0x80;
    out.push(byte);
  } while (big > 0n);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A message under construction: fields appended in the order written. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  varint(number: number, value: number): this {
    this.parts.push(Uint8Array.from([...varintBytes(number * 8), ...varintBytes(value)]));
    return this;
  }

  bytes(number: number, content: Uint8Array): this {
    this.parts.push(
      Uint8Array.from([...varintBytes(number * 8 + 2), ...varintBytes(content.length)]),
      content,
    );
    return this;
  }

  text(number: number, value: string): this {
    return this.bytes(number, encodeUtf8(value));
  }

  message(number: number, inner: ProtoWriter): this {
    return this.bytes(number, inner.finish());
  }

  /** Fields already encoded elsewhere, copied as they are. */
  raw(encoded: Uint8Array): this {
    this.parts.push(encoded);
    return this;
  }

  finish(): Uint8Array {
    return concat(this.parts);
  }
}
