/**
 * Plain float64 reference implementation ("oracle") of everything the wasm
 * kernels compute. Deliberately naive: plain loops, one small function per
 * concept, no SIMD, no blocking, no reuse of buffers. Tests compare the fast
 * kernels against these functions; the oracle itself is checked in
 * oracle.test.ts against hand-computed values and finite differences.
 *
 * All matrices are row-major. Inputs are any ArrayLike<number>; outputs are
 * fresh Float64Arrays (update rules work in place on Float64Arrays).
 */

export type Act = 'relu' | 'sigmoid' | 'tanh' | 'linear' | 'softmax';

function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(`oracle: ${msg}`);
}

function checkLen(a: ArrayLike<number>, expected: number, name: string): void {
  check(a.length === expected, `${name} has length ${a.length}, expected ${expected}`);
}

// ---------------------------------------------------------------------------
// Matrix product
// ---------------------------------------------------------------------------

/**
 * C = op(A)·op(B), C is m×n.
 *  'nn': A is m×k, B is k×n          C = A·B
 *  'tn': A is stored k×m, B is k×n   C = Aᵀ·B
 *  'nt': A is m×k, B is stored n×k   C = A·Bᵀ
 */
export function gemm(
  product: 'nn' | 'tn' | 'nt',
  m: number,
  n: number,
  k: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): Float64Array {
  checkLen(a, m * k, 'A');
  checkLen(b, k * n, 'B');
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        let aip: number;
        let bpj: number;
        if (product === 'tn') aip = a[p * m + i]!;
        else aip = a[i * k + p]!;
        if (product === 'nt') bpj = b[j * k + p]!;
        else bpj = b[p * n + j]!;
        s += aip * bpj;
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

// ---------------------------------------------------------------------------
// Dense layer
// ---------------------------------------------------------------------------

/** Y = X·W + b. X is batch×in, W is in×out, b is out (or null), Y is batch×out. */
export function denseForward(
  x: ArrayLike<number>,
  batch: number,
  inSize: number,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  outSize: number,
): Float64Array {
  checkLen(x, batch * inSize, 'x');
  checkLen(w, inSize * outSize, 'w');
  if (b !== null) checkLen(b, outSize, 'b');
  const y = gemm('nn', batch, outSize, inSize, x, w);
  if (b !== null) {
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < outSize; j++) {
        y[r * outSize + j]! += b[j]!;
      }
    }
  }
  return y;
}

/** Gradients of a dense layer given dL/dY: dW = Xᵀ·dY, db = column sums of dY, dX = dY·Wᵀ. */
export function denseBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  w: ArrayLike<number>,
  batch: number,
  inSize: number,
  outSize: number,
): { dw: Float64Array; db: Float64Array; dx: Float64Array } {
  checkLen(x, batch * inSize, 'x');
  checkLen(dy, batch * outSize, 'dy');
  checkLen(w, inSize * outSize, 'w');
  const dw = gemm('tn', inSize, outSize, batch, x, dy);
  const db = new Float64Array(outSize);
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < outSize; j++) {
      db[j]! += dy[r * outSize + j]!;
    }
  }
  const dx = gemm('nt', batch, inSize, outSize, dy, w);
  return { dw, db, dx };
}

// ---------------------------------------------------------------------------
// Activations
// ---------------------------------------------------------------------------

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Softmax of one row, with the row maximum subtracted first. */
function softmaxRow(z: ArrayLike<number>, offset: number, width: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < width; j++) max = Math.max(max, z[offset + j]!);
  let sum = 0;
  for (let j = 0; j < width; j++) {
    const e = Math.exp(z[offset + j]! - max);
    out[offset + j] = e;
    sum += e;
  }
  for (let j = 0; j < width; j++) out[offset + j]! /= sum;
}

/** y = act(z), elementwise except softmax, which is row-wise over `width`. */
export function activationForward(act: Act, z: ArrayLike<number>, batch: number, width: number): Float64Array {
  const n = batch * width;
  checkLen(z, n, 'z');
  const y = new Float64Array(n);
  if (act === 'softmax') {
    for (let r = 0; r < batch; r++) softmaxRow(z, r * width, width, y);
    return y;
  }
  for (let i = 0; i < n; i++) {
    const v = z[i]!;
    switch (act) {
      case 'relu':
        y[i] = v > 0 ? v : 0;
        break;
      case 'sigmoid':
        y[i] = sigmoid(v);
        break;
      case 'tanh':
        y[i] = Math.tanh(v);
        break;
      case 'linear':
        y[i] = v;
        break;
      default:
        throw new Error(`oracle: unknown activation ${String(act)}`);
    }
  }
  return y;
}

/**
 * dL/dz given dL/dy, where y = act(z) is the forward output.
 * relu: derivative 0 at z <= 0 and 1 at z > 0.
 * softmax: explicit Jacobian J[i][j] = dy_i/dz_j = y_i (δij - y_j) per row, dz = Jᵀ·dy.
 */
export function activationBackward(
  act: Act,
  z: ArrayLike<number>,
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  batch: number,
  width: number,
): Float64Array {
  const n = batch * width;
  checkLen(z, n, 'z');
  checkLen(y, n, 'y');
  checkLen(dy, n, 'dy');
  const dz = new Float64Array(n);
  if (act === 'softmax') {
    for (let r = 0; r < batch; r++) {
      const o = r * width;
      for (let j = 0; j < width; j++) {
        let s = 0;
        for (let i = 0; i < width; i++) {
          const jac = y[o + i]! * ((i === j ? 1 : 0) - y[o + j]!);
          s += dy[o + i]! * jac;
        }
        dz[o + j] = s;
      }
    }
    return dz;
  }
  for (let i = 0; i < n; i++) {
    switch (act) {
      case 'relu':
        dz[i] = z[i]! > 0 ? dy[i]! : 0;
        break;
      case 'sigmoid':
        dz[i] = dy[i]! * y[i]! * (1 - y[i]!);
        break;
      case 'tanh':
        dz[i] = dy[i]! * (1 - y[i]! * y[i]!);
        break;
      case 'linear':
        dz[i] = dy[i]!;
        break;
      default:
        throw new Error(`oracle: unknown activation ${String(act)}`);
    }
  }
  return dz;
}

// ---------------------------------------------------------------------------
// Losses
// ---------------------------------------------------------------------------

/** Target distribution as a dense batch×classes array (one-hot if labels are class ids). */
function targetMatrix(labels: ArrayLike<number>, batch: number, classes: number, labelsAreIndices: boolean): Float64Array {
  const t = new Float64Array(batch * classes);
  if (labelsAreIndices) {
    checkLen(labels, batch, 'labels');
    for (let r = 0; r < batch; r++) {
      const c = labels[r]!;
      check(Number.isInteger(c) && c >= 0 && c < classes, `label ${c} out of range [0, ${classes})`);
      t[r * classes + c] = 1;
    }
  } else {
    checkLen(labels, batch * classes, 'labels');
    for (let i = 0; i < batch * classes; i++) t[i] = labels[i]!;
  }
  return t;
}

/**
 * Fused softmax + categorical cross-entropy.
 * loss = mean over rows of -Σ_j t_j log softmax(z)_j (computed via log-softmax),
 * dlogits = (softmax(z) - t) / batch.
 */
export function softmaxCrossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  batch: number,
  classes: number,
  labelsAreIndices: boolean,
): { loss: number; dlogits: Float64Array } {
  checkLen(logits, batch * classes, 'logits');
  const t = targetMatrix(labels, batch, classes, labelsAreIndices);
  const dlogits = new Float64Array(batch * classes);
  let total = 0;
  for (let r = 0; r < batch; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[o + j]!);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[o + j]! - max);
    const logSum = Math.log(sum);
    for (let j = 0; j < classes; j++) {
      const logp = logits[o + j]! - max - logSum;
      if (t[o + j] !== 0) total -= t[o + j]! * logp;
      dlogits[o + j] = (Math.exp(logp) - t[o + j]!) / batch;
    }
  }
  return { loss: total / batch, dlogits };
}

/**
 * Cross-entropy on probabilities (no fusion with softmax).
 * loss = mean over rows of -Σ_j t_j log p_j, dprobs = -t / (p · batch).
 */
export function crossEntropy(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  batch: number,
  classes: number,
  labelsAreIndices: boolean,
): { loss: number; dprobs: Float64Array } {
  checkLen(probs, batch * classes, 'probs');
  const t = targetMatrix(labels, batch, classes, labelsAreIndices);
  const dprobs = new Float64Array(batch * classes);
  let total = 0;
  for (let i = 0; i < batch * classes; i++) {
    if (t[i] !== 0) {
      total -= t[i]! * Math.log(probs[i]!);
      dprobs[i] = -t[i]! / (probs[i]! * batch);
    }
  }
  return { loss: total / batch, dprobs };
}

/** Mean squared error over all n elements: loss = Σ(y-t)²/n, dy = 2(y-t)/n. */
export function mse(y: ArrayLike<number>, t: ArrayLike<number>, n: number): { loss: number; dy: Float64Array } {
  checkLen(y, n, 'y');
  checkLen(t, n, 't');
  const dy = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = y[i]! - t[i]!;
    total += d * d;
    dy[i] = (2 * d) / n;
  }
  return { loss: total / n, dy };
}

// ---------------------------------------------------------------------------
// Update rules (in place)
// ---------------------------------------------------------------------------

/** w = w - lr·g */
export function sgdPlain(w: Float64Array, g: ArrayLike<number>, lr: number): void {
  checkLen(g, w.length, 'g');
  for (let i = 0; i < w.length; i++) w[i] = w[i]! - lr * g[i]!;
}

/** v = beta·v - lr·g; w = w + v */
export function sgdMomentum(w: Float64Array, v: Float64Array, g: ArrayLike<number>, lr: number, beta: number): void {
  checkLen(g, w.length, 'g');
  checkLen(v, w.length, 'v');
  for (let i = 0; i < w.length; i++) {
    v[i] = beta * v[i]! - lr * g[i]!;
    w[i] = w[i]! + v[i]!;
  }
}

/** v = beta·v - lr·g; w = w + beta·v - lr·g (v is the updated velocity) */
export function sgdNesterov(w: Float64Array, v: Float64Array, g: ArrayLike<number>, lr: number, beta: number): void {
  checkLen(g, w.length, 'g');
  checkLen(v, w.length, 'v');
  for (let i = 0; i < w.length; i++) {
    v[i] = beta * v[i]! - lr * g[i]!;
    w[i] = w[i]! + beta * v[i]! - lr * g[i]!;
  }
}

// ---------------------------------------------------------------------------
// Whole MLP
// ---------------------------------------------------------------------------

export interface OracleLayer {
  w: Float64Array;
  b: Float64Array | null;
  inSize: number;
  outSize: number;
  act: Act;
}

/** Forward pass; zs[l] is layer l's pre-activation, ys[l] its output (both batch×outSize). */
export function mlpForward(
  layers: OracleLayer[],
  x: ArrayLike<number>,
  batch: number,
): { zs: Float64Array[]; ys: Float64Array[] } {
  check(layers.length > 0, 'no layers');
  const zs: Float64Array[] = [];
  const ys: Float64Array[] = [];
  let input: ArrayLike<number> = x;
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l]!;
    if (l > 0) check(layer.inSize === layers[l - 1]!.outSize, `layer ${l} inSize does not match previous outSize`);
    const z = denseForward(input, batch, layer.inSize, layer.w, layer.b, layer.outSize);
    const y = activationForward(layer.act, z, batch, layer.outSize);
    zs.push(z);
    ys.push(y);
    input = y;
  }
  return { zs, ys };
}

/**
 * Loss and per-layer gradients (dws[l] in×out, dbs[l] out or null when the layer has no bias).
 * 'crossEntropy' with a softmax last layer uses the fused gradient (softmax - t)/batch;
 * with any other last activation it chains crossEntropy's dprobs through activationBackward.
 * 'mse' averages over batch·outSize elements; with labelsAreIndices the targets are one-hot.
 */
export function mlpLossAndGrads(
  layers: OracleLayer[],
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  batch: number,
  loss: 'crossEntropy' | 'mse',
  labelsAreIndices: boolean,
): { loss: number; dws: Float64Array[]; dbs: (Float64Array | null)[] } {
  const { zs, ys } = mlpForward(layers, x, batch);
  const L = layers.length;
  const last = layers[L - 1]!;
  const width = last.outSize;

  let lossValue: number;
  let dz: Float64Array;
  if (loss === 'crossEntropy') {
    if (last.act === 'softmax') {
      const r = softmaxCrossEntropy(zs[L - 1]!, labels, batch, width, labelsAreIndices);
      lossValue = r.loss;
      dz = r.dlogits;
    } else {
      const r = crossEntropy(ys[L - 1]!, labels, batch, width, labelsAreIndices);
      lossValue = r.loss;
      dz = activationBackward(last.act, zs[L - 1]!, ys[L - 1]!, r.dprobs, batch, width);
    }
  } else if (loss === 'mse') {
    const t = targetMatrix(labels, batch, width, labelsAreIndices);
    const r = mse(ys[L - 1]!, t, batch * width);
    lossValue = r.loss;
    dz = activationBackward(last.act, zs[L - 1]!, ys[L - 1]!, r.dy, batch, width);
  } else {
    throw new Error(`oracle: unknown loss ${String(loss)}`);
  }

  const dws: Float64Array[] = new Array<Float64Array>(L);
  const dbs: (Float64Array | null)[] = new Array<Float64Array | null>(L);
  for (let l = L - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const input: ArrayLike<number> = l === 0 ? x : ys[l - 1]!;
    const g = denseBackward(input, dz, layer.w, batch, layer.inSize, layer.outSize);
    dws[l] = g.dw;
    dbs[l] = layer.b === null ? null : g.db;
    if (l > 0) {
      const prev = layers[l - 1]!;
      dz = activationBackward(prev.act, zs[l - 1]!, ys[l - 1]!, g.dx, batch, prev.outSize);
    }
  }
  return { loss: lossValue, dws, dbs };
}

/**
 * One full training step: gradients at the current parameters, then the update rule applied to
 * every parameter in the order [w0, b0, w1, b1, ...] (null biases skipped). `velocities` is
 * parallel to that list (it may be empty for 'plain'). Returns the loss before the update.
 */
export function mlpTrainStep(
  layers: OracleLayer[],
  velocities: Float64Array[],
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  batch: number,
  loss: 'crossEntropy' | 'mse',
  labelsAreIndices: boolean,
  rule: 'plain' | 'momentum' | 'nesterov',
  lr: number,
  beta: number,
): number {
  const grads = mlpLossAndGrads(layers, x, labels, batch, loss, labelsAreIndices);
  const params: Float64Array[] = [];
  const gs: Float64Array[] = [];
  for (let l = 0; l < layers.length; l++) {
    params.push(layers[l]!.w);
    gs.push(grads.dws[l]!);
    const b = layers[l]!.b;
    const db = grads.dbs[l] ?? null;
    if (b !== null && db !== null) {
      params.push(b);
      gs.push(db);
    }
  }
  if (rule !== 'plain') {
    check(velocities.length === params.length, `expected ${params.length} velocities, got ${velocities.length}`);
  }
  for (let p = 0; p < params.length; p++) {
    if (rule === 'plain') sgdPlain(params[p]!, gs[p]!, lr);
    else if (rule === 'momentum') sgdMomentum(params[p]!, velocities[p]!, gs[p]!, lr, beta);
    else if (rule === 'nesterov') sgdNesterov(params[p]!, velocities[p]!, gs[p]!, lr, beta);
    else throw new Error(`oracle: unknown rule ${String(rule)}`);
  }
  return grads.loss;
}
