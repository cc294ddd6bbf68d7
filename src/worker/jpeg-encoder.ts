// A baseline JPEG encoder that takes Y'CbCr 4:2:0 planes as they are. Camera frames are Y'CbCr already,
// and so is JPEG: encoding the planes directly skips the round trip through RGB that a canvas makes the
// CPU do on the whole camera frame. Written from the JPEG standard (ITU T.81): its example quantisation
// and Huffman tables (Annex K), the quality scaling libjpeg made usual (so quality 0.8 here means what it
// means to a canvas), and the Arai-Agui-Nakajima factorisation of the 8x8 forward DCT.

/** One image plane: `width` x `height` samples, rows `stride` bytes apart. */
export interface Plane {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
}

/**
 * A full-range (JFIF) Y'CbCr picture with chroma at half the resolution both ways: `cb` and `cr` are
 * ceil(width / 2) x ceil(height / 2).
 */
export interface Yuv420Image {
  readonly y: Plane;
  readonly cb: Plane;
  readonly cr: Plane;
}

// Annex K.1 and K.2, in row order; they are written to the file in zigzag order.
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_QUANT = [
  17,
  18,
  24,
  47,
  99,
  99,
  99,
  99,
  18,
  21,
  26,
  66,
  99,
  99,
  99,
  99,
  24,
  26,
  56,
  99,
  99,
  99,
  99,
  99,
  47,
  66,
  99,
  99,
  99,
  99,
  99,
  99,
  ...new Array<number>(32).fill(99),
];

/** ZIGZAG[k] is the row-order index of the k-th coefficient in zigzag order. */
const ZIGZAG = (() => {
  const order: number[] = [];
  for (let sum = 0; sum < 15; sum++) {
    const cells: number[] = [];
    for (let row = Math.max(0, sum - 7); row <= Math.min(7, sum); row++) cells.push(row * 8 + (sum - row));
    // Odd diagonals run top-right to bottom-left (row rising), even ones the other way.
    order.push(...(sum % 2 === 1 ? cells : cells.reverse()));
  }
  return Uint8Array.from(order);
})();

interface HuffmanSpec {
  /** How many codes of each length 1..16. */
  readonly counts: readonly number[];
  readonly symbols: readonly number[];
}

/**
 * An AC table of Annex K: the symbols with codes of up to 15 bits are listed; every other (run, size)
 * symbol has a 16-bit code, in numeric order, which is how the standard's tables end.
 */
function acSpec(counts: readonly number[], shortSymbols: readonly number[]): HuffmanSpec {
  const listed = new Set(shortSymbols);
  const rest: number[] = [];
  for (let run = 0; run < 16; run++) {
    for (let size = 1; size <= 10; size++) {
      const symbol = (run << 4) | size;
      if (!listed.has(symbol)) rest.push(symbol);
    }
  }
  return { counts: [...counts, rest.length], symbols: [...shortSymbols, ...rest] };
}

const DC_LUMA: HuffmanSpec = {
  counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
  symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};
const DC_CHROMA: HuffmanSpec = {
  counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};
const AC_LUMA = acSpec(
  [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1],
  [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22,
    0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33,
    0x62, 0x72, 0x82,
  ],
);
const AC_CHROMA = acSpec(
  [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2],
  [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13,
    0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62,
    0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1,
  ],
);

/** A Huffman table ready for encoding: code and length by symbol (canonical codes, Annex C). */
interface HuffmanCodes {
  readonly code: Uint16Array;
  readonly length: Uint8Array;
}

function huffmanCodes({ counts, symbols }: HuffmanSpec): HuffmanCodes {
  const code = new Uint16Array(256);
  const length = new Uint8Array(256);
  let next = 0;
  let k = 0;
  for (let bits = 1; bits <= 16; bits++) {
    for (let i = 0; i < counts[bits - 1]!; i++) {
      const symbol = symbols[k++]!;
      code[symbol] = next++;
      length[symbol] = bits;
    }
    next <<= 1;
  }
  return { code, length };
}

const CODES = {
  dcLuma: huffmanCodes(DC_LUMA),
  acLuma: huffmanCodes(AC_LUMA),
  dcChroma: huffmanCodes(DC_CHROMA),
  acChroma: huffmanCodes(AC_CHROMA),
};

/** The AAN DCT leaves coefficient (u, v) scaled by 8 * s(u) * s(v); the quantiser divides that out. */
const AAN_SCALE = [1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.5411961, 0.275899379];

/** libjpeg's quality scaling of the example tables, quality 1..100. */
function scaledTable(base: readonly number[], quality: number): Uint8Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? 5000 / q : 200 - 2 * q;
  return Uint8Array.from(base, (value) => Math.min(255, Math.max(1, Math.floor((value * scale + 50) / 100))));
}

interface QuantTables {
  readonly luma: Uint8Array;
  readonly chroma: Uint8Array;
  /** Reciprocal divisors in row order, with the DCT's scaling folded in. */
  readonly lumaDivisors: Float32Array;
  readonly chromaDivisors: Float32Array;
}

function quantTables(quality: number): QuantTables {
  const luma = scaledTable(LUMA_QUANT, quality);
  const chroma = scaledTable(CHROMA_QUANT, quality);
  const divisors = (table: Uint8Array) =>
    Float32Array.from({ length: 64 }, (_, i) => 1 / (table[i]! * AAN_SCALE[i >> 3]! * AAN_SCALE[i & 7]! * 8));
  return { luma, chroma, lumaDivisors: divisors(luma), chromaDivisors: divisors(chroma) };
}

/** Appends bytes and bits to a buffer that grows when needed and is kept from one frame to the next. */
class ByteSink {
  private buffer = new Uint8Array(64 * 1024);
  length = 0;
  private bits = 0;
  private bitCount = 0;

  reset(): void {
    this.length = 0;
    this.bits = 0;
    this.bitCount = 0;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  word(value: number): void {
    this.byte(value >> 8);
    this.byte(value & 0xff);
  }

  bytes(values: ArrayLike<number>): void {
    this.ensure(values.length);
    for (let i = 0; i < values.length; i++) this.buffer[this.length++] = values[i]!;
  }

  /** Makes room for one block's bits, which `put` then writes unchecked. */
  reserve(bytes: number): void {
    this.ensure(bytes);
  }

  /**
   * Writes the low `count` bits of `value` (count <= 16), most significant first, stuffing 0xFF bytes.
   * Room must have been reserved.
   */
  put(value: number, count: number): void {
    this.bits = (this.bits << count) | (value & ((1 << count) - 1));
    this.bitCount += count;
    while (this.bitCount >= 8) {
      const byte = (this.bits >> (this.bitCount - 8)) & 0xff;
      this.buffer[this.length++] = byte;
      // A 0xFF in the entropy-coded data would read as a marker; T.81 F.1.2.3 has it followed by a 0.
      if (byte === 0xff) this.buffer[this.length++] = 0;
      this.bitCount -= 8;
    }
    this.bits &= (1 << this.bitCount) - 1;
  }

  /** Pads the last byte with 1 bits, as T.81 asks before a marker. */
  flushBits(): void {
    this.ensure(2);
    if (this.bitCount > 0) this.put(0x7f, 8 - this.bitCount);
  }

  /** A copy of what was written, in a buffer of its own (to be transferred). */
  take(): ArrayBuffer {
    return this.buffer.slice(0, this.length).buffer;
  }
}

/** Bits needed for |value| (JPEG's "size category"). */
const category = (value: number) => 32 - Math.clz32(value < 0 ? -value : value);

/** The most one block can add to the file: 64 codes of at most 16 + 11 bits, every byte stuffed. */
const MAX_BLOCK_BYTES = Math.ceil((64 * 27) / 8) * 2;

/**
 * Encodes 4:2:0 Y'CbCr planes as a baseline JFIF JPEG. Keeps its buffers from one frame to the next (a
 * long-running page must not allocate per frame), so one instance serves one caller at a time.
 */
export class Yuv420JpegEncoder {
  private readonly sink = new ByteSink();
  private readonly block = new Float32Array(64);
  private readonly quantised = new Int32Array(64);
  private tables: { quality: number; tables: QuantTables } | undefined;

  /** `quality` is 0..1, as for canvas.convertToBlob. */
  encode(image: Yuv420Image, quality: number): ArrayBuffer {
    const { width, height } = image.y;
    if (!(width > 0 && height > 0 && width < 65536 && height < 65536)) {
      throw new Error(`Cannot encode a ${width}x${height} picture as JPEG: each side must be 1 to 65535.`);
    }
    const tables = this.quantTablesFor(Math.round(quality * 100));
    const sink = this.sink;
    sink.reset();
    this.writeHeaders(width, height, tables);

    let dcY = 0;
    let dcCb = 0;
    let dcCr = 0;
    for (let mcuY = 0; mcuY < height; mcuY += 16) {
      for (let mcuX = 0; mcuX < width; mcuX += 16) {
        for (let i = 0; i < 4; i++) {
          this.load(image.y, mcuX + (i & 1) * 8, mcuY + (i >> 1) * 8);
          dcY = this.encodeBlock(tables.lumaDivisors, dcY, CODES.dcLuma, CODES.acLuma);
        }
        this.load(image.cb, mcuX >> 1, mcuY >> 1);
        dcCb = this.encodeBlock(tables.chromaDivisors, dcCb, CODES.dcChroma, CODES.acChroma);
        this.load(image.cr, mcuX >> 1, mcuY >> 1);
        dcCr = this.encodeBlock(tables.chromaDivisors, dcCr, CODES.dcChroma, CODES.acChroma);
      }
    }
    sink.flushBits();
    sink.word(0xffd9); // EOI
    return sink.take();
  }

  private quantTablesFor(quality: number): QuantTables {
    if (this.tables?.quality !== quality) this.tables = { quality, tables: quantTables(quality) };
    return this.tables.tables;
  }

  private writeHeaders(width: number, height: number, tables: QuantTables): void {
    const sink = this.sink;
    sink.word(0xffd8); // SOI
    // APP0 JFIF 1.01: says the samples are full-range BT.601 Y'CbCr; no thumbnail, square pixels.
    sink.word(0xffe0);
    sink.word(16);
    sink.bytes([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
    // DQT: both 8-bit tables in one segment.
    sink.word(0xffdb);
    sink.word(2 + 2 * 65);
    for (const [id, table] of [
      [0, tables.luma],
      [1, tables.chroma],
    ] as const) {
      sink.byte(id);
      for (let k = 0; k < 64; k++) sink.byte(table[ZIGZAG[k]!]!);
    }
    // SOF0: 8-bit baseline, three components; luma sampled 2x2, chroma 1x1.
    sink.word(0xffc0);
    sink.word(17);
    sink.byte(8);
    sink.word(height);
    sink.word(width);
    sink.byte(3);
    sink.bytes([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    // DHT: the four Annex K tables.
    const specs = [
      [0x00, DC_LUMA],
      [0x10, AC_LUMA],
      [0x01, DC_CHROMA],
      [0x11, AC_CHROMA],
    ] as const;
    sink.word(0xffc4);
    sink.word(2 + specs.reduce((sum, [, spec]) => sum + 17 + spec.symbols.length, 0));
    for (const [classAndId, spec] of specs) {
      sink.byte(classAndId);
      sink.bytes(spec.counts);
      sink.bytes(spec.symbols);
    }
    // SOS: one interleaved scan of all three components over the whole spectrum.
    sink.word(0xffda);
    sink.word(12);
    sink.bytes([3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
  }

  /** Loads the 8x8 block at (x0, y0), level-shifted; past the edge, the last row and column repeat. */
  private load(plane: Plane, x0: number, y0: number): void {
    const { data, width, height, stride } = plane;
    const block = this.block;
    const lastX = width - 1;
    const lastY = height - 1;
    if (x0 + 8 <= width && y0 + 8 <= height) {
      for (let row = 0; row < 8; row++) {
        const at = (y0 + row) * stride + x0;
        const out = row * 8;
        for (let col = 0; col < 8; col++) block[out + col] = data[at + col]! - 128;
      }
      return;
    }
    for (let row = 0; row < 8; row++) {
      const at = Math.min(y0 + row, lastY) * stride;
      for (let col = 0; col < 8; col++) block[row * 8 + col] = data[at + Math.min(x0 + col, lastX)]! - 128;
    }
  }

  /** DCT, quantisation and entropy coding of the loaded block; returns its DC for the next difference. */
  private encodeBlock(
    divisors: Float32Array,
    previousDc: number,
    dc: HuffmanCodes,
    ac: HuffmanCodes,
  ): number {
    const block = this.block;
    forwardDct(block);
    const quantised = this.quantised;
    for (let k = 0; k < 64; k++) {
      const i = ZIGZAG[k]!;
      // Round to nearest by truncating a shifted positive value: faster than Math.round, same result.
      quantised[k] = ((block[i]! * divisors[i]! + 16384.5) | 0) - 16384;
    }
    const sink = this.sink;
    sink.reserve(MAX_BLOCK_BYTES);
    const dcValue = quantised[0]!;
    this.putValue(dcValue - previousDc, dc, 0);
    let run = 0;
    let last = 63;
    while (last > 0 && quantised[last] === 0) last--;
    for (let k = 1; k <= last; k++) {
      const value = quantised[k]!;
      if (value === 0) {
        run++;
        continue;
      }
      while (run > 15) {
        sink.put(ac.code[0xf0]!, ac.length[0xf0]!); // ZRL: sixteen zeros
        run -= 16;
      }
      this.putValue(value, ac, run << 4);
      run = 0;
    }
    if (last < 63) sink.put(ac.code[0x00]!, ac.length[0x00]!); // EOB
    return dcValue;
  }

  /** Writes a value's Huffman code (its size, with `runBits` for AC) then its bits (T.81 F.1.2). */
  private putValue(value: number, codes: HuffmanCodes, runBits: number): void {
    const size = category(value);
    const symbol = runBits | size;
    this.sink.put(codes.code[symbol]!, codes.length[symbol]!);
    if (size) this.sink.put(value < 0 ? value - 1 : value, size);
  }
}

/** In-place forward 8x8 DCT (AAN), on rows then columns; outputs are scaled as AAN_SCALE says. */
function forwardDct(data: Float32Array): void {
  for (let pass = 0; pass < 2; pass++) {
    // First pass over rows (elements 1 apart, rows 8 apart); second over columns.
    const step = pass === 0 ? 1 : 8;
    const next = pass === 0 ? 8 : 1;
    for (let line = 0; line < 8; line++) {
      const o = line * next;
      const d0 = data[o]!;
      const d1 = data[o + step]!;
      const d2 = data[o + 2 * step]!;
      const d3 = data[o + 3 * step]!;
      const d4 = data[o + 4 * step]!;
      const d5 = data[o + 5 * step]!;
      const d6 = data[o + 6 * step]!;
      const d7 = data[o + 7 * step]!;
      const tmp0 = d0 + d7;
      const tmp7 = d0 - d7;
      const tmp1 = d1 + d6;
      const tmp6 = d1 - d6;
      const tmp2 = d2 + d5;
      const tmp5 = d2 - d5;
      const tmp3 = d3 + d4;
      const tmp4 = d3 - d4;

      // Even part.
      const tmp10 = tmp0 + tmp3;
      const tmp13 = tmp0 - tmp3;
      const tmp11 = tmp1 + tmp2;
      const tmp12 = tmp1 - tmp2;
      data[o] = tmp10 + tmp11;
      data[o + 4 * step] = tmp10 - tmp11;
      const z1 = (tmp12 + tmp13) * 0.707106781;
      data[o + 2 * step] = tmp13 + z1;
      data[o + 6 * step] = tmp13 - z1;

      // Odd part.
      const odd10 = tmp4 + tmp5;
      const odd11 = tmp5 + tmp6;
      const odd12 = tmp6 + tmp7;
      const z5 = (odd10 - odd12) * 0.382683433;
      const z2 = 0.5411961 * odd10 + z5;
      const z4 = 1.306562965 * odd12 + z5;
      const z3 = odd11 * 0.707106781;
      const z11 = tmp7 + z3;
      const z13 = tmp7 - z3;
      data[o + 5 * step] = z13 + z2;
      data[o + 3 * step] = z13 - z2;
      data[o + step] = z11 + z4;
      data[o + 7 * step] = z11 - z4;
    }
  }
}
