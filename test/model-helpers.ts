// Shared by the model-level tests: a Sequential's weights as the float64 oracle's layers, and
// small comparisons that stay fast on big typed arrays (vitest's toEqual is slow there).
import type { Sequential } from '../src/index.js';
import type { Act, OracleLayer } from './oracle/oracle.js';

/** the model's current weights as the oracle's layers (float64 copies of the float32 values) */
export function oracleLayers(model: Sequential): OracleLayer[] {
  const ws = model.getWeights();
  let i = 0;
  let inSize = model.inputSize;
  return model.layers.map((spec) => {
    const w = Float64Array.from(ws[i++]!.values);
    const b = spec.bias ? Float64Array.from(ws[i++]!.values) : null;
    const layer: OracleLayer = { w, b, inSize, outSize: spec.units, act: spec.activation as Act };
    inSize = spec.units;
    return layer;
  });
}

/** true when both hold the same float32 bit patterns */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** getWeights() values and every parameter's velocity, copied */
export function snapshot(model: Sequential): { weights: Float32Array[]; velocities: Float32Array[] } {
  return {
    weights: model.getWeights().map((w) => w.values),
    velocities: model.parameters().map((p) => p.velocity.slice()),
  };
}

/** index of the first maximum in row r */
export function argmaxRow(a: ArrayLike<number>, r: number, cols: number): number {
  let best = 0;
  for (let j = 1; j < cols; j++) if (a[r * cols + j]! > a[r * cols + best]!) best = j;
  return best;
}
