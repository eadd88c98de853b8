// The common shapes of a split kernel call (Runtime.parallel): a pass over the elements of some
// arrays, each element on its own, or over rows, each row on its own. Each part gets the same
// kernel with its pointers moved to its first unit, so a part computes exactly what the whole call
// computes there.
//
// Nothing here allocates: a training step makes these calls for every layer and parameter. The
// whole call's arguments go into ARGS (one slot serves every call: a split runs to its end before
// the next begins, since kernels never call back into JavaScript), and one function, made once,
// turns them into each part's.
import type { Runtime } from './runtime.js';
import type { Combine, KernelName, PartArgs } from './dispatch.js';
import { JOB_MAX_ARGS } from './pool.js';

/** Elements per thread below which a pass stays whole: a pass over fewer is over in about two
 *  microseconds, what handing a part to a worker and waiting for it costs (bench/split-threshold.ts:
 *  an update of 32k elements gains 1.1x on 2 threads, one of 16k loses) */
export const ELEMENT_GRAIN = 1 << 14;

/** results of the guard's scans: the largest bit pattern, read as unsigned */
export const maxBits: Combine = (a, b) => Math.max(a >>> 0, b >>> 0);
/** results that are 1 when all is well (finite checks, dry runs): 1 only when every part's is */
export const allOk: Combine = (a, b) => (a !== 0 && b !== 0 ? 1 : 0);

/** The whole call's arguments, for perElementArgs: the pointers first, then the element count, then
 *  the scalars. Filled by the caller right before the call. */
export const ARGS = new Float64Array(JOB_MAX_ARGS);

/** what the call in ARGS looks like: how many arguments, how many pointers lead, bytes a unit moves them */
let argc = 0, pointers = 0, unitBytes = 4;

/** ARGS for units [lo, hi): the leading pointers moved lo units (a pointer of 0, no tensor, stays 0),
 *  the count after them hi - lo, the rest as they are */
const partOfArgs: PartArgs = (lo, hi, _scratch, out, at) => {
  const shift = lo * unitBytes;
  for (let j = 0; j < pointers; j++) { const p = ARGS[j]!; out[at + j] = p === 0 ? 0 : p + shift; }
  out[at + pointers] = hi - lo;
  for (let j = pointers + 1; j < argc; j++) out[at + j] = ARGS[j]!;
  return argc;
};

/** kernel(ARGS[0 … argc)) over ARGS[nPointers] elements, in parts by element ranges; `whole`:
 *  never split, on this thread (a call that must see every element before it writes any) */
export function perElementArgs(rt: Runtime, name: KernelName, count: number, nPointers: number, combine?: Combine, whole = false): number {
  argc = count; pointers = nPointers; unitBytes = 4;
  // a range of one unit is never split
  return rt.parallel(name, whole ? 1 : ARGS[nPointers]!, ELEMENT_GRAIN, 4, partOfArgs, combine, ARGS, count);
}

/** kernel(p0[, p1[, p2[, p3]]], n) over n elements, a pointer of 0 staying 0 (pass -1 for none) */
export function perElement(rt: Runtime, name: KernelName, n: number, p0: number, p1 = -1, p2 = -1, p3 = -1, combine?: Combine): number {
  const np = p1 < 0 ? 1 : p2 < 0 ? 2 : p3 < 0 ? 3 : 4;
  ARGS[0] = p0; ARGS[1] = p1; ARGS[2] = p2; ARGS[3] = p3; ARGS[np] = n;
  return perElementArgs(rt, name, np + 1, np, combine);
}

/** kernel(p0, p1[, p2], rows of the part, cols) over rows x cols floats, each row on its own */
export function perRow(rt: Runtime, name: KernelName, rows: number, cols: number, p0: number, p1: number, p2 = -1): void {
  const np = p2 < 0 ? 2 : 3;
  ARGS[0] = p0; ARGS[1] = p1; ARGS[2] = p2; ARGS[np] = rows; ARGS[np + 1] = cols;
  argc = np + 2; pointers = np; unitBytes = cols * 4;
  rt.parallel(name, rows, Math.ceil(ELEMENT_GRAIN / Math.max(cols, 1)), 1, partOfArgs, undefined, ARGS, argc);
}

let sumRows = 0, sumCols = 0, sumDy = 0, sumDb = 0;
const columnPart: PartArgs = (lo, hi, _scratch, out, at) => {
  out[at] = sumDy + lo * 4; out[at + 1] = sumRows; out[at + 2] = hi - lo; out[at + 3] = sumCols; out[at + 4] = sumDb + lo * 4;
  return 5;
};

/** db[j] = Σ over the rows of dy[·, j] (rows x cols, row stride cols), split by columns: each
 *  column's sum runs over the rows in order on one thread, as with one thread */
export function columnSums(rt: Runtime, dy: number, rows: number, cols: number, db: number): void {
  sumDy = dy; sumRows = rows; sumCols = cols; sumDb = db;
  rt.parallel('column_sums', cols, Math.ceil(ELEMENT_GRAIN / Math.max(rows, 1)), 4, columnPart);
}

/** batchnorm_forward over M rows of C channels, split by rows (each value depends only on its own
 *  channel's statistics and parameters) */
export function normalizeRows(rt: Runtime, x: number, M: number, C: number, mean: number, variance: number, gamma: number,
  beta: number, eps: number, y: number): void {
  // (x, y) lead, then the rows; batchnorm_forward's own order is (x, M, C, mean, variance, gamma, beta, eps, y)
  ARGS[0] = x; ARGS[1] = y; ARGS[2] = M; ARGS[3] = C; ARGS[4] = mean; ARGS[5] = variance; ARGS[6] = gamma; ARGS[7] = beta; ARGS[8] = eps;
  argc = 9; pointers = 2; unitBytes = C * 4;
  rt.parallel('batchnorm_forward', M, Math.ceil(ELEMENT_GRAIN / Math.max(C, 1)), 1, normalizePart);
}

/** partOfArgs' layout (x, y, rows, …) reordered into batchnorm_forward's (x, rows, C, mean, variance, gamma, beta, eps, y) */
const normalizePart: PartArgs = (lo, hi, scratch, out, at) => {
  partOfArgs(lo, hi, scratch, out, at);
  const y = out[at + 1]!;
  for (let j = 1; j < 8; j++) out[at + j] = out[at + j + 1]!;
  out[at + 8] = y;
  return 9;
};
