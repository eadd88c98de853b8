// mnist.bin: the demo's digits, stored so that gzip (build.ts) packs all 70,000 into about 10 MB.
// Four fifths of MNIST's pixels are 0, so each row keeps a bit mask of its inked pixels and only
// those pixels' bytes: gzip then sees the masks' long zero runs and the ink bytes in two separate
// streams instead of interleaved (10.15 MB gzipped against 11.2 MB for the raw bytes, measured).
// src/data/mnist.ts turns each byte of the IDX files into one of 256 floats (byte / 255 as
// float32); the file keeps that table, so decoding gives back exactly the Float32Arrays that
// src/data/mnist.ts loads in Node.
//
// Layout, little-endian, before gzip:
//   0    'MNST'            magic
//   4    u32 version (2)
//   8    u32 trainRows     12 u32 testRows     16 u32 pixels per row (784)
//   20   f32[256]          pixel value of each code; code 0 is the value 0 (no ink)
//   1044 u8[rows]          labels, train rows then test rows
//   ...  u8[rows * ceil(pixels / 8)]  per row, bit p (LSB first) set when pixel p is inked
//   ...  u8[inked pixels]  the code of each inked pixel, row by row
/** the name of the gzipped file, next to the page */
export const DIGITS_FILE = 'mnist.bin.gz';
export const MAGIC = 0x54534e4d; // 'MNST' read as a little-endian u32
export const VERSION = 2;
const HEADER = 20;
const TABLE = 256 * 4;

export interface DigitSet {
  x: Float32Array;
  y: Uint8Array;
  rows: number;
}

export interface MnistFile {
  train: DigitSet;
  test: DigitSet;
  pixels: number;
}

export function encodeMnist(train: DigitSet, test: DigitSet, pixels: number): Uint8Array {
  const rows = train.rows + test.rows;
  const maskBytes = Math.ceil(pixels / 8);
  // codes in order of first appearance; 0 (no ink) is code 0 and never stored
  const code = new Map<number, number>([[0, 0]]);
  let inked = 0;
  for (const { x } of [train, test]) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v === 0) continue;
      inked++;
      if (code.has(v)) continue;
      if (!(v > 0)) throw new Error(`mnist.bin: pixel value ${v} is not above 0`);
      if (code.size === 256) throw new Error('mnist.bin: more than 256 distinct pixel values do not fit in a byte');
      code.set(v, code.size);
    }
  }
  const masksAt = HEADER + TABLE + rows;
  const inkAt = masksAt + rows * maskBytes;
  const out = new Uint8Array(inkAt + inked);
  const dv = new DataView(out.buffer);
  [MAGIC, VERSION, train.rows, test.rows, pixels].forEach((v, i) => dv.setUint32(i * 4, v, true));
  for (const [v, c] of code) dv.setFloat32(HEADER + c * 4, v, true);
  out.set(train.y, HEADER + TABLE);
  out.set(test.y, HEADER + TABLE + train.rows);
  let row = 0, ink = inkAt;
  for (const set of [train, test]) {
    for (let r = 0; r < set.rows; r++, row++) {
      const mask = masksAt + row * maskBytes;
      for (let p = 0; p < pixels; p++) {
        const v = set.x[r * pixels + p]!;
        if (v === 0) continue;
        out[mask + (p >> 3)] = out[mask + (p >> 3)]! | (1 << (p & 7));
        out[ink++] = code.get(v)!;
      }
    }
  }
  return out;
}

export interface DecodeOptions {
  /** decode only the first N training rows (default all) */
  trainRows?: number;
  /** decode only the first N test rows (default all) */
  testRows?: number;
}

export function decodeMnist(buf: ArrayBuffer, options: DecodeOptions = {}): MnistFile {
  const dv = new DataView(buf);
  if (buf.byteLength < HEADER + TABLE || dv.getUint32(0, true) !== MAGIC) throw new Error('mnist.bin: not a digits file');
  if (dv.getUint32(4, true) !== VERSION) throw new Error(`mnist.bin: version ${dv.getUint32(4, true)}, expected ${VERSION}`);
  const trainRows = dv.getUint32(8, true), testRows = dv.getUint32(12, true), pixels = dv.getUint32(16, true);
  const rows = trainRows + testRows;
  const maskBytes = Math.ceil(pixels / 8);
  const masksAt = HEADER + TABLE + rows;
  const inkAt = masksAt + rows * maskBytes;
  if (buf.byteLength < inkAt) throw new Error('mnist.bin: truncated');
  const bytes = new Uint8Array(buf);
  const table = new Float32Array(buf.slice(HEADER, HEADER + TABLE));
  // where each row's ink starts: the inked pixels of all rows before it
  const rowInk = new Uint32Array(rows + 1);
  const bits = Uint8Array.from({ length: 256 }, (_, b) => b.toString(2).replace(/0/g, '').length);
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let i = masksAt + r * maskBytes, end = i + maskBytes; i < end; i++) n += bits[bytes[i]!]!;
    rowInk[r + 1] = rowInk[r]! + n;
  }
  if (buf.byteLength !== inkAt + rowInk[rows]!) throw new Error('mnist.bin: truncated or overlong');
  const set = (from: number, n: number): DigitSet => {
    const x = new Float32Array(n * pixels);
    for (let r = 0; r < n; r++) {
      const mask = masksAt + (from + r) * maskBytes;
      let ink = inkAt + rowInk[from + r]!;
      // most mask bytes are 0: skip their eight pixels at once
      for (let i = 0; i < maskBytes; i++) {
        let m = bytes[mask + i]!;
        for (let p = r * pixels + i * 8; m !== 0; m >>= 1, p++) if (m & 1) x[p] = table[bytes[ink++]!]!;
      }
    }
    return { x, y: bytes.slice(HEADER + TABLE + from, HEADER + TABLE + from + n), rows: n };
  };
  const take = (want: number | undefined, have: number) => (want === undefined ? have : Math.min(want, have));
  return {
    train: set(0, take(options.trainRows, trainRows)),
    test: set(trainRows, take(options.testRows, testRows)),
    pixels,
  };
}
