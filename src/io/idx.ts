// IDX, the container of the original MNIST files (yann.lecun.com/exdb/mnist): a big-endian u32
// magic (two zero bytes, a dtype byte, the number of dimensions), one big-endian u32 per
// dimension, then the values in row-major order. MNIST uses dtype 0x08 (unsigned byte) only:
// images with 3 dimensions [count, rows, cols], labels with 1 [count]. The reader is strict:
// every field is checked against the bytes before anything is copied, and each error names the
// file and what is wrong. Platform-neutral (no Node imports): decompression is the caller's job.

/** A data file that is not what it claims to be; the message names the file and the fault. */
export class DataFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFormatError';
  }
}

// the magic number is 0x0000 (two zero bytes), the dtype (0x08: unsigned byte), the dimension
// count: 0x00000803 for images (count, rows, cols), 0x00000801 for labels (count)
const UNSIGNED_BYTE = 0x08;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major; a view of the input, not a copy */
  pixels: Uint8Array;
}

const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

/** Checks the header of an unsigned-byte IDX file with `ndims` dimensions and returns them with a
 *  view of the data; the data must fill the rest of the file exactly. */
function readUnsignedByte(bytes: Uint8Array, name: string, ndims: number, what: string): { dims: number[]; data: Uint8Array } {
  const expected = (UNSIGNED_BYTE << 8) | ndims;
  if (bytes.length < 4) throw new DataFormatError(`${name}: ${bytes.length} bytes, too short for an IDX header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic !== expected) {
    throw new DataFormatError(`${name}: magic ${hex(magic)}, expected ${hex(expected)} (unsigned-byte ${what}, ${ndims} dimension${ndims === 1 ? '' : 's'})`);
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) throw new DataFormatError(`${name}: ${bytes.length} bytes, too short for the ${header}-byte header of ${ndims} dimensions`);
  const dims = Array.from({ length: ndims }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const values = dims.reduce((n, d) => n * d, 1);
  const want = header + values;
  if (bytes.length !== want) {
    const how = bytes.length < want ? 'truncated' : `${bytes.length - want} extra bytes after the data`;
    throw new DataFormatError(`${name}: ${bytes.length} bytes, expected ${want} for dimensions [${dims.join(', ')}] (${how})`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** An images file: magic 0x00000803, then count, rows, cols. */
export function readIdxImages(bytes: Uint8Array, name = 'images'): IdxImages {
  const { dims, data } = readUnsignedByte(bytes, name, 3, 'images');
  const [count, rows, cols] = dims as [number, number, number];
  if (rows === 0 || cols === 0) throw new DataFormatError(`${name}: images of ${rows} x ${cols} pixels`);
  return { count, rows, cols, pixels: data };
}

/** A labels file: magic 0x00000801, then count; every label must be below `classes`. */
export function readIdxLabels(bytes: Uint8Array, name = 'labels', classes = 10): Uint8Array {
  const { data } = readUnsignedByte(bytes, name, 1, 'labels');
  const bad = data.findIndex((v) => v >= classes);
  if (bad >= 0) throw new DataFormatError(`${name}: label ${data[bad]} at index ${bad}, expected 0..${classes - 1}`);
  return data;
}

export interface IdxDataset extends IdxImages {
  labels: Uint8Array;
}

/** An images file and its labels file, which must hold the same number of items. */
export function readIdxDataset(
  images: Uint8Array,
  labels: Uint8Array,
  names: { images?: string; labels?: string } = {},
  classes = 10,
): IdxDataset {
  const imagesName = names.images ?? 'images', labelsName = names.labels ?? 'labels';
  const img = readIdxImages(images, imagesName);
  const lab = readIdxLabels(labels, labelsName, classes);
  if (img.count !== lab.length) {
    throw new DataFormatError(`${imagesName} holds ${img.count} images but ${labelsName} holds ${lab.length} labels`);
  }
  return { ...img, labels: lab };
}
