// Where fit()'s dataset lives while it trains, and how a batch is gathered from it. Usually x (and
// float targets) are copied into wasm memory once and each batch's rows are gathered there by index;
// class ids, one number a row, are gathered in JavaScript from a copy of y. A dataset too large to
// hold twice stays in JS memory and each batch's rows are copied in from it. Either way every row is
// checked finite before the first step, in wasm, chunk by chunk as it is copied (a JavaScript loop
// over a 25 MB dataset cost a fifth of an epoch of a small model).
import type { Runtime } from '../runtime/runtime.js';
import type { PartArgs } from '../runtime/dispatch.js';
import { Block } from '../runtime/memory.js';
import { ELEMENT_GRAIN, allOk, perElement } from '../runtime/parts.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { Targets } from './options.js';

/** floats per chunk of the finiteness check: 256 KiB, which the copy leaves in cache for the check */
const CHUNK = 65536;

/** what fit() gathers a batch into (Sequential.workspace) */
export interface BatchSpace { x: Block; labels: Block; targets: Block }

export interface FitData {
  /** copies rows order[start .. start + n) of x, and their labels or targets, into the workspace */
  gather(order: Block, start: number, n: number, ws: BatchSpace): void;
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
      if (perElement(rt, 'all_finite', n, dst, -1, -1, -1, allOk) === 0) throw notFinite(name, x, at, n);
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
  /** floats of x a row */
  features: number;
  /** targets a row (1 for class ids) */
  width: number;
  indices: boolean;
  /** copy x into wasm memory (fit's options.dataInWasm) */
  inWasm: boolean;
}

/** x checked finite (throws naming 'x'), then held as `layout` says */
export function fitData(rt: Runtime, x: Float32Array, y: Targets, layout: DataLayout): FitData {
  if (!layout.inWasm) {
    copyFinite(rt, 'x', x);
    return inJs(x, y, layout);
  }
  // filled right below: no need to zero them first (the dataset can be tens of MB)
  const data = new Block(rt.arena, x.length, false);
  let targets: Block | null = null;
  try {
    copyFinite(rt, 'x', x, data);
    if (!layout.indices) { targets = new Block(rt.arena, y.length, false); targets.f32.set(y); }
  } catch (e) {
    data.free();
    throw e;
  }
  // class ids are one number a row: a JavaScript loop gathers them faster than one row copy each in
  // wasm (from a copy, as x: what a callback does to y during the fit does not reach it)
  const ids = layout.indices ? Int32Array.from(y) : null;
  const { features, width } = layout, rowTargets = targets;
  // rows split among threads: each row is one copy (the part function made once: a batch allocates nothing)
  let src = 0, idx = 0, w = 0, dst = 0;
  const part: PartArgs = (lo, hi, _scratch, out, at) => {
    out[at] = src; out[at + 1] = idx + lo * 4; out[at + 2] = hi - lo; out[at + 3] = w; out[at + 4] = dst + lo * w * 4;
    return 5;
  };
  const gatherRows = (from: number, rowsAt: number, n: number, width: number, into: number) => {
    src = from; idx = rowsAt; w = width; dst = into;
    rt.parallel('gather_rows', n, Math.ceil(ELEMENT_GRAIN / width), 1, part);
  };
  return {
    gather(order, start, n, ws) {
      const idx = order.ptr + start * 4;
      gatherRows(data.ptr, idx, n, features, ws.x.ptr);
      if (rowTargets) gatherRows(rowTargets.ptr, idx, n, width, ws.targets.ptr);
      else {
        const perm = order.i32, labels = ws.labels.i32;
        for (let i = 0; i < n; i++) labels[i] = ids![perm[start + i]!]!;
      }
    },
    free() {
      data.free();
      rowTargets?.free();
    },
  };
}

function inJs(x: Float32Array, y: Targets, { features, width, indices }: DataLayout): FitData {
  return {
    gather(order, start, n, ws) {
      const perm = order.i32, xs = ws.x.f32, ys = indices ? ws.labels.i32 : ws.targets.f32;
      for (let i = 0; i < n; i++) {
        const r = perm[start + i]!;
        for (let j = 0, o = i * features, from = r * features; j < features; j++) xs[o + j] = x[from + j]!;
        for (let j = 0; j < width; j++) ys[i * width + j] = y[r * width + j]!;
      }
    },
    free() {},
  };
}
