/**
 * A whole Sequential in float64, built from the plain layer oracles: the model's layer specs and
 * its weights (getWeights order) and running statistics in, outputs and loss out. Training mode
 * uses batch statistics and the dropout masks the documented hash gives; inference mode uses the
 * running statistics and no dropout. Deliberately naive: it shares no code with src/.
 */
import * as L from './layers-oracle.js';
import * as O from './oracle.js';

export interface SpecLike {
  type: string;
  [k: string]: unknown;
}

export interface NetState {
  /** trainable tensors in getWeights() order */
  weights: Float64Array[];
  /** running mean and variance of each batch-norm layer (a normalization layer's mean and variance), in layer order */
  running: Float64Array[];
  /** per dropout layer (by layer index): its seed and step counter */
  dropout: Map<number, { seed: number; counter: number }>;
}

// the documented mask hash of assembly/dropout.ts, written again from its description
function fmix32(h: number): number {
  h = (h ^ (h >>> 16)) >>> 0; h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0; h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
export function dropoutMask(n: number, rate: number, seed: number, counter: number): Float64Array {
  const key = fmix32((fmix32(seed >>> 0) + counter) >>> 0);
  const scale = Math.fround(1 / Math.fround(1 - rate));
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = (fmix32((Math.imul(i, 0x9e3779b9) ^ key) >>> 0) >>> 8) / 16777216;
    m[i] = u >= Math.fround(rate) ? scale : 0;
  }
  return m;
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v as number, v as number]);

/** outputs (after the last activation, softmax included) for `rows` rows of x */
export function networkForward(specs: SpecLike[], inputShape: number[], st: NetState, x: ArrayLike<number>, rows: number,
                               training: boolean): { y: Float64Array; shape: number[]; batchStats: Array<{ mean: Float64Array; variance: Float64Array }> } {
  let a: Float64Array = Float64Array.from(x);
  let shape = inputShape.slice();
  let w = 0, bn = 0;
  const batchStats: Array<{ mean: Float64Array; variance: Float64Array }> = [];
  specs.forEach((s, li) => {
    switch (s.type) {
      case 'dense': {
        const inSize = shape[0]!, units = s.units as number;
        const kernel = st.weights[w++]!, bias = s.bias ? st.weights[w++]! : null;
        a = O.activationForward(s.activation as O.Act, O.denseForward(a, rows, inSize, kernel, bias, units), rows, units);
        shape = [units];
        break;
      }
      case 'conv2d': {
        const [H, W, C] = shape as [number, number, number];
        const [KH, KW] = pair(s.kernelSize), [SH, SW] = pair(s.stride);
        const g = L.convGeometry(rows, H, W, C, KH, KW, s.filters as number, SH, SW, s.padding as 'valid' | 'same');
        const kernel = st.weights[w++]!, bias = s.bias ? st.weights[w++]! : null;
        const z = L.conv2dForward(a, kernel, bias, g);
        a = O.activationForward(s.activation as O.Act, z, rows * g.OH * g.OW, g.F);
        shape = [g.OH, g.OW, g.F];
        break;
      }
      case 'maxPool2d': case 'avgPool2d': {
        const [H, W, C] = shape as [number, number, number];
        const [PH, PW] = pair(s.poolSize), [SH, SW] = pair(s.stride);
        const g = L.poolGeometry(rows, H, W, C, PH, PW, SH, SW);
        a = s.type === 'maxPool2d' ? L.maxPoolForward(a, g).y : L.avgPoolForward(a, g);
        shape = [g.OH, g.OW, C];
        break;
      }
      case 'flatten':
        shape = [shape.reduce((p, q) => p * q, 1)];
        break;
      case 'dropout': {
        if (training) {
          const d = st.dropout.get(li)!;
          a = L.dropoutForward(a, dropoutMask(a.length, s.rate as number, d.seed, d.counter));
        }
        break;
      }
      case 'normalization': {
        const C = shape[shape.length - 1]!;
        const mean = st.running[2 * bn]!, variance = st.running[2 * bn + 1]!;
        bn++;
        a = a.map((v, i) => (v - mean[i % C]!) / Math.sqrt(variance[i % C]! + 1e-7));
        break;
      }
      case 'batchNorm': {
        const C = shape[shape.length - 1]!, M = a.length / C;
        const gamma = st.weights[w++]!, beta = st.weights[w++]!;
        const runMean = st.running[2 * bn]!, runVar = st.running[2 * bn + 1]!;
        bn++;
        if (training) {
          const r = L.batchNormTraining(a, M, C, gamma, beta, s.epsilon as number);
          batchStats.push({ mean: r.mean, variance: r.variance });
          a = r.y;
        } else {
          a = L.batchNormInference(a, M, C, runMean, runVar, gamma, beta, s.epsilon as number);
        }
        break;
      }
      default:
        throw new Error(`network oracle: no layer type ${s.type}`);
    }
  });
  return { y: a, shape, batchStats };
}

/** mean loss of the outputs: cross-entropy on probabilities (labels as class ids), or mse */
export function networkLoss(y: Float64Array, rows: number, labels: ArrayLike<number>, loss: 'crossEntropy' | 'mse'): number {
  const cols = y.length / rows;
  let total = 0;
  if (loss === 'crossEntropy') {
    for (let r = 0; r < rows; r++) total -= Math.log(y[r * cols + labels[r]!]!);
    return total / rows;
  }
  return O.mse(y, Float64Array.from(labels), y.length).loss;
}
