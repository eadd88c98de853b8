// Shared by the model-level tests: a Sequential's weights as the float64 oracle's layers, and
// small comparisons that stay fast on big typed arrays (vitest's toEqual is slow there).
import type { DenseSpec, Optimizer, Parameter, Sequential } from '../src/index.js';
import type { Act, OracleLayer } from './oracle/oracle.js';

/** the model's current weights as the oracle's layers (float64 copies of the float32 values);
 *  dense layers only, as the oracle */
export function oracleLayers(model: Sequential): OracleLayer[] {
  const ws = model.getWeights();
  let i = 0;
  let inSize = model.inputSize;
  return model.layers.map((s) => {
    if (s.type !== 'dense') throw new Error(`oracleLayers: the oracle models dense layers only, got ${s.type}`);
    const spec = s as DenseSpec;
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

/** a copy of `optimizer`'s state tensor `name` for `p`, or zeros where it holds none (yet): read
 *  without creating or marking it (state() would mark it in use), so that a snapshot changes nothing */
export function stateCopy(optimizer: Optimizer, p: Parameter, name: string): Float32Array {
  const held = optimizer.peekState(p);
  return held ? held[optimizer.stateNames.indexOf(name)]! : new Float32Array(p.size);
}

/** getWeights() values and, for every parameter, the optimizer's state, copied: `velocities` is
 *  the first state tensor (SGD's velocity, Adam's m), `states` all of them in stateNames order */
export function snapshot(model: Sequential, optimizer: Optimizer): { weights: Float32Array[]; velocities: Float32Array[]; states: Float32Array[][] } {
  const params = model.parameters();
  const states = params.map((p) => optimizer.stateNames.map((name) => stateCopy(optimizer, p, name)));
  return {
    weights: model.getWeights().map((w) => w.values),
    velocities: states.map((s) => s[0]!),
    states,
  };
}

/** index of the first maximum in row r */
export function argmaxRow(a: ArrayLike<number>, r: number, cols: number): number {
  let best = 0;
  for (let j = 1; j < cols; j++) if (a[r * cols + j]! > a[r * cols + best]!) best = j;
  return best;
}
