// Where fit()'s dataset lives while it trains, and how each batch reaches the model. Usually x (and
// float targets) are copied into wasm memory once; class ids, one number a row, are gathered from a
// copy of y in JavaScript. A shuffled epoch then gathers every row of x at once into a second copy in
// that epoch's order, and each step trains on its slice of it in place: one pass of row copies
// back to back costs half of what the same copies cost one batch at a time between steps (each batch
// then finds the data cold), and no step copies its rows again. Unshuffled, the first copy is in
// order already. A dataset too large to hold twice stays in JS memory and each batch's rows are
// copied into the workspace. Either way every row is checked finite before the first step, in wasm,
// chunk by chunk as it is copied (a JavaScript loop over a 25 MB dataset cost a fifth of an epoch
// of a small model).
import type { Runtime } from '../runtime/runtime.js';
import { Block } from '../runtime/memory.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { Targets } from './options.js';

/** floats per chunk of the finiteness check: 256 KiB, which the copy leaves in cache for the check */
const CHUNK = 65536;
/** the shuffled second copy is made for data sets up to this many bytes (wasm memory never shrinks) */
export const SHUFFLED_COPY_BYTES = 64 * 2 ** 20;

/** what fit() gathers a batch into (Sequential.workspace) */
export interface BatchSpace { x: Block; labels: Block; targets: Block }

export interface FitData {
  /** at the start of each epoch, with its row order */
  epoch(order: Block): void;
  /** batch `order[start .. start + n)`: its labels or targets into the workspace, and its rows of x
   *  into the workspace too or not; returns where its rows are (0: in the workspace) */
  batch(order: Block, start: number, n: number, ws: BatchSpace): number;
  free(): void;
}

/**
 * Throws InvalidArgumentError naming `name` when x holds NaN or ±Infinity; when `into` is given
 * (as long as x), x is copied there, otherwise it passes through a small scratch block.
 */
export function copyFinite(rt: Runtime, name: string, x: Float32Array, into: Block | null = null): void {
  const scratch = into ? null : new Block(rt.arena, Math.min(CHUNK, x.length), false);
  try {
    for (let at = 0; at < x.length; at += CHUNK) {
      const n = Math.min(CHUNK, x.length - at);
      const dst = into ? into.ptr + at * 4 : scratch!.ptr;
      (into ?? scratch!).f32.set(x.subarray(at, at + n), into ? at : 0);
      if (rt.exports.all_finite(dst, n) === 0) throw notFinite(name, x, at, n);
    }
  } finally {
    scratch?.free();
  }
}

function notFinite(name: string, x: Float32Array, from: number, n: number): InvalidArgumentError {
  let i = from;
  while (i < from + n - 1 && Number.isFinite(x[i]!)) i++;
  return new InvalidArgumentError(name, 'finite values only', `${x[i]} at index ${i}`);
}

export interface DataLayout {
  rows: number;
  /** floats of x a row */
  features: number;
  /** targets a row (1 for class ids) */
  width: number;
  indices: boolean;
  inWasm: boolean;
  /** whether the epochs' orders differ from the rows' (fit's options.shuffle) */
  shuffle: boolean;
  /** with shuffle and inWasm: gather each epoch into a second copy (fit: up to SHUFFLED_COPY_BYTES of x) */
  shuffledCopy: boolean;
}

/** x checked finite (throws naming 'x'), then held as `layout` says */
export function fitData(rt: Runtime, x: Float32Array, y: Targets, layout: DataLayout): FitData {
  if (!layout.inWasm) {
    copyFinite(rt, 'x', x);
    return inJs(x, y, layout);
  }
  const blocks: Block[] = [];
  const block = (n: number) => { const b = new Block(rt.arena, n, false); blocks.push(b); return b; };
  let data: Block, shuffled: Block | null = null, targets: Block | null = null;
  try {
    // filled right below: no need to zero them first (the dataset can be tens of MB)
    data = block(x.length);
    copyFinite(rt, 'x', x, data);
    if (layout.shuffle && layout.shuffledCopy) shuffled = block(x.length);
    if (!layout.indices) { targets = block(y.length); targets.f32.set(y); }
  } catch (e) {
    for (const b of blocks) b.free();
    throw e;
  }
  // class ids from a copy, as x: what a callback does to y during the fit does not reach it
  const ids = layout.indices ? Int32Array.from(y) : null;
  const k = rt.exports, { rows, features, width, shuffle } = layout, rowBytes = features * 4;
  const src = data, epochCopy = shuffled, rowTargets = targets;
  return {
    epoch(order) {
      if (epochCopy) k.gather_rows(src.ptr, order.ptr, rows, features, epochCopy.ptr);
    },
    batch(order, start, n, ws) {
      const idx = order.ptr + start * 4;
      if (rowTargets) k.gather_rows(rowTargets.ptr, idx, n, width, ws.targets.ptr);
      else {
        const perm = order.i32, labels = ws.labels.i32;
        for (let i = 0; i < n; i++) labels[i] = ids![perm[start + i]!]!;
      }
      if (!shuffle) return src.ptr + start * rowBytes;
      if (epochCopy) return epochCopy.ptr + start * rowBytes;
      k.gather_rows(src.ptr, idx, n, features, ws.x.ptr);
      return 0;
    },
    free() {
      for (const b of blocks) b.free();
    },
  };
}

function inJs(x: Float32Array, y: Targets, { features, width, indices }: DataLayout): FitData {
  return {
    epoch() {},
    batch(order, start, n, ws) {
      const perm = order.i32, xs = ws.x.f32, ys = indices ? ws.labels.i32 : ws.targets.f32;
      for (let i = 0; i < n; i++) {
        const r = perm[start + i]!;
        for (let j = 0, o = i * features, from = r * features; j < features; j++) xs[o + j] = x[from + j]!;
        for (let j = 0; j < width; j++) ys[i * width + j] = y[r * width + j]!;
      }
      return 0;
    },
    free() {},
  };
}
