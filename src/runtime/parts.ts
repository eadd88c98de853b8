// The common shapes of a split kernel call (Runtime.parallel): a pass over the elements of some
// arrays, each element on its own, or over rows, each row on its own. Each part gets the same
// kernel with its pointers moved to its first unit, so a part computes exactly what the whole call
// computes there.
import type { Runtime } from './runtime.js';
import type { KernelName } from './dispatch.js';
import type { Combine } from './dispatch.js';

/** Elements per thread below which a pass stays whole: a pass over fewer is over in about two
 *  microseconds, what handing a part to a worker and waiting for it costs (bench/split-threshold.ts:
 *  an update of 32k elements gains 1.1x on 2 threads, one of 16k loses) */
export const ELEMENT_GRAIN = 1 << 14;

/** results of the guard's scans: the largest bit pattern, read as unsigned */
export const maxBits: Combine = (a, b) => Math.max(a >>> 0, b >>> 0);
/** results that are 1 when all is well (finite checks, dry runs): 1 only when every part's is */
export const allOk: Combine = (a, b) => (a !== 0 && b !== 0 ? 1 : 0);

/** kernel(ptrs moved to the part…, count, ...scalars) over n elements; a pointer of 0 (none) stays 0 */
export function perElement(rt: Runtime, name: KernelName, n: number, ptrs: readonly number[], scalars: readonly number[] = [], combine?: Combine): number {
  // indexed loops: a step's first few hundred calls run in the interpreter, where for-of is slow
  return rt.parallel(name, n, ELEMENT_GRAIN, 4, (lo, hi, _scratch, out, at) => {
    const np = ptrs.length, ns = scalars.length;
    for (let j = 0; j < np; j++) { const p = ptrs[j]!; out[at + j] = p === 0 ? 0 : p + lo * 4; }
    out[at + np] = hi - lo;
    for (let j = 0; j < ns; j++) out[at + np + 1 + j] = scalars[j]!;
    return np + 1 + ns;
  }, combine);
}

/** kernel(ptrs moved to the part's first row…, rows of the part, cols) over rows x cols floats */
export function perRow(rt: Runtime, name: KernelName, rows: number, cols: number, ptrs: readonly number[]): void {
  rt.parallel(name, rows, Math.ceil(ELEMENT_GRAIN / Math.max(cols, 1)), 1, (lo, hi, _scratch, out, at) => {
    const np = ptrs.length;
    for (let j = 0; j < np; j++) out[at + j] = ptrs[j]! + lo * cols * 4;
    out[at + np] = hi - lo;
    out[at + np + 1] = cols;
    return np + 2;
  });
}

/** db[j] = Σ over the rows of dy[·, j] (rows x cols, row stride cols), split by columns: each
 *  column's sum runs over the rows in order on one thread, as with one thread */
export function columnSums(rt: Runtime, dy: number, rows: number, cols: number, db: number): void {
  rt.parallel('column_sums', cols, Math.ceil(ELEMENT_GRAIN / Math.max(rows, 1)), 4, (lo, hi, _scratch, out, at) => {
    out[at] = dy + lo * 4; out[at + 1] = rows; out[at + 2] = hi - lo; out[at + 3] = cols; out[at + 4] = db + lo * 4;
    return 5;
  });
}

/** batchnorm_forward over M rows of C channels, split by rows (each value depends only on its own
 *  channel's statistics and parameters) */
export function normalizeRows(rt: Runtime, x: number, M: number, C: number, mean: number, variance: number, gamma: number,
  beta: number, eps: number, y: number): void {
  rt.parallel('batchnorm_forward', M, Math.ceil(ELEMENT_GRAIN / Math.max(C, 1)), 1, (lo, hi, _scratch, out, at) => {
    out[at] = x + lo * C * 4; out[at + 1] = hi - lo; out[at + 2] = C; out[at + 3] = mean; out[at + 4] = variance;
    out[at + 5] = gamma; out[at + 6] = beta; out[at + 7] = eps; out[at + 8] = y + lo * C * 4;
    return 9;
  });
}
