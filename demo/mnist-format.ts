// mnist.bin: the demo's digits, one byte per pixel. src/data/mnist.ts turns each byte of the
// original IDX files into one of 256 floats (byte / 255 as float32); the file keeps that table, so
// decoding gives back exactly the Float32Arrays that src/data/mnist.ts loads in Node.
//
// Layout, little-endian:
//   0   'MNST'            magic
//   4   u32 version (1)
//   8   u32 trainRows     12 u32 testRows     16 u32 pixels per row (784)
//   20  f32[256]          pixel value of each byte
//   1044 u8[rows*pixels]  train rows, then test rows
//   ...  u8[rows]         labels, train then test
export const MAGIC = 0x54534e4d; // 'MNST' read as a little-endian u32
export const VERSION = 1;
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
  const out = new Uint8Array(HEADER + TABLE + rows * pixels + rows);
  const dv = new DataView(out.buffer);
  const values = [...new Set([...new Set(train.x), ...new Set(test.x)])].sort((a, b) => a - b);
  if (values.length > 256) throw new Error(`mnist.bin: ${values.length} distinct pixel values do not fit in a byte`);
  const code = new Map(values.map((v, i) => [v, i]));
  [MAGIC, VERSION, train.rows, test.rows, pixels].forEach((v, i) => dv.setUint32(i * 4, v, true));
  values.forEach((v, i) => dv.setFloat32(HEADER + i * 4, v, true));
  let at = HEADER + TABLE;
  for (const set of [train, test]) {
    for (let i = 0; i < set.x.length; i++) out[at + i] = code.get(set.x[i]!)!;
    at += set.x.length;
  }
  out.set(train.y, at);
  out.set(test.y, at + train.rows);
  return out;
}

export function decodeMnist(buf: ArrayBuffer): MnistFile {
  const dv = new DataView(buf);
  if (buf.byteLength < HEADER + TABLE || dv.getUint32(0, true) !== MAGIC) throw new Error('mnist.bin: not a digits file');
  if (dv.getUint32(4, true) !== VERSION) throw new Error(`mnist.bin: version ${dv.getUint32(4, true)}, expected ${VERSION}`);
  const trainRows = dv.getUint32(8, true), testRows = dv.getUint32(12, true), pixels = dv.getUint32(16, true);
  const rows = trainRows + testRows;
  if (buf.byteLength !== HEADER + TABLE + rows * (pixels + 1)) throw new Error('mnist.bin: truncated');
  const table = new Float32Array(buf.slice(HEADER, HEADER + TABLE));
  const bytes = new Uint8Array(buf, HEADER + TABLE, rows * pixels);
  const labels = new Uint8Array(buf, HEADER + TABLE + rows * pixels, rows);
  const set = (from: number, n: number): DigitSet => {
    const x = new Float32Array(n * pixels);
    const src = bytes.subarray(from * pixels, (from + n) * pixels);
    for (let i = 0; i < x.length; i++) x[i] = table[src[i]!]!;
    return { x, y: labels.slice(from, from + n), rows: n };
  };
  return {
    train: set(0, trainRows),
    test: set(trainRows, testRows),
    pixels,
  };
}
