/**
 * Plain float64 reference ("oracle") for the convolutional-network layer kernels: conv2d, max and
 * average pooling, batch normalization, dropout. Naive loops, one function per concept, fresh
 * Float64Array outputs. Layouts are TensorFlow's: activations NHWC, conv kernels [KH, KW, C, F]
 * row-major. Checked in layers-oracle.test.ts against hand-computed values and finite differences.
 */

function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(`layers-oracle: ${msg}`);
}

function checkLen(a: ArrayLike<number>, expected: number, name: string): void {
  check(a.length === expected, `${name} has length ${a.length}, expected ${expected}`);
}

// ---------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------

/** output size and padding before/after along one axis, for TensorFlow's 'valid' or 'same' */
export function padding(size: number, k: number, s: number, mode: 'valid' | 'same'): { out: number; before: number; after: number } {
  if (mode === 'valid') return { out: Math.floor((size - k) / s) + 1, before: 0, after: 0 };
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

export interface ConvGeometry {
  N: number; H: number; W: number; C: number;
  KH: number; KW: number; F: number;
  SH: number; SW: number; PT: number; PL: number;
  OH: number; OW: number;
}

export function convGeometry(N: number, H: number, W: number, C: number, KH: number, KW: number, F: number,
                             SH: number, SW: number, mode: 'valid' | 'same'): ConvGeometry {
  const h = padding(H, KH, SH, mode), w = padding(W, KW, SW, mode);
  return { N, H, W, C, KH, KW, F, SH, SW, PT: h.before, PL: w.before, OH: h.out, OW: w.out };
}

/** flat index of x[n, ih, iw, c] in NHWC, or -1 in the padding */
function inputIndex(g: { H: number; W: number; C: number }, n: number, ih: number, iw: number, c: number): number {
  if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return -1;
  return ((n * g.H + ih) * g.W + iw) * g.C + c;
}

/** flat index of w[kh, kw, c, f] */
function kernelIndex(g: ConvGeometry, kh: number, kw: number, c: number, f: number): number {
  return ((kh * g.KW + kw) * g.C + c) * g.F + f;
}

// ---------------------------------------------------------------------------
// Conv2d
// ---------------------------------------------------------------------------

/** y[n, oh, ow, f] = bias[f] + Σ_{kh,kw,c} x[n, oh*SH - PT + kh, ow*SW - PL + kw, c] w[kh, kw, c, f] */
export function conv2dForward(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, g: ConvGeometry): Float64Array {
  checkLen(x, g.N * g.H * g.W * g.C, 'x');
  checkLen(w, g.KH * g.KW * g.C * g.F, 'w');
  if (bias !== null) checkLen(bias, g.F, 'bias');
  const y = new Float64Array(g.N * g.OH * g.OW * g.F);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    for (let f = 0; f < g.F; f++) {
      let s = bias === null ? 0 : bias[f]!;
      for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) for (let c = 0; c < g.C; c++) {
        const i = inputIndex(g, n, oh * g.SH - g.PT + kh, ow * g.SW - g.PL + kw, c);
        if (i >= 0) s += x[i]! * w[kernelIndex(g, kh, kw, c, f)]!;
      }
      y[((n * g.OH + oh) * g.OW + ow) * g.F + f] = s;
    }
  }
  return y;
}

/** dx = ∂(Σ dy·y)/∂x: each product of the forward sends dy·w back to its input pixel */
export function conv2dInputGrad(dy: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeometry): Float64Array {
  checkLen(dy, g.N * g.OH * g.OW * g.F, 'dy');
  checkLen(w, g.KH * g.KW * g.C * g.F, 'w');
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    for (let f = 0; f < g.F; f++) {
      const d = dy[((n * g.OH + oh) * g.OW + ow) * g.F + f]!;
      for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) for (let c = 0; c < g.C; c++) {
        const i = inputIndex(g, n, oh * g.SH - g.PT + kh, ow * g.SW - g.PL + kw, c);
        if (i >= 0) dx[i]! += d * w[kernelIndex(g, kh, kw, c, f)]!;
      }
    }
  }
  return dx;
}

/** dw = ∂(Σ dy·y)/∂w, summed over the batch: layout [KH, KW, C, F] */
export function conv2dFilterGrad(x: ArrayLike<number>, dy: ArrayLike<number>, g: ConvGeometry): Float64Array {
  checkLen(x, g.N * g.H * g.W * g.C, 'x');
  checkLen(dy, g.N * g.OH * g.OW * g.F, 'dy');
  const dw = new Float64Array(g.KH * g.KW * g.C * g.F);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    for (let f = 0; f < g.F; f++) {
      const d = dy[((n * g.OH + oh) * g.OW + ow) * g.F + f]!;
      for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) for (let c = 0; c < g.C; c++) {
        const i = inputIndex(g, n, oh * g.SH - g.PT + kh, ow * g.SW - g.PL + kw, c);
        if (i >= 0) dw[kernelIndex(g, kh, kw, c, f)]! += x[i]! * d;
      }
    }
  }
  return dw;
}

/** db[f] = Σ over batch and positions of dy[.., f] */
export function conv2dBiasGrad(dy: ArrayLike<number>, g: ConvGeometry): Float64Array {
  checkLen(dy, g.N * g.OH * g.OW * g.F, 'dy');
  const db = new Float64Array(g.F);
  for (let p = 0; p < g.N * g.OH * g.OW; p++) for (let f = 0; f < g.F; f++) db[f]! += dy[p * g.F + f]!;
  return db;
}

/** rows [0, np) = receptive fields of positions [p0, p0+np), each KH*KW*C entries ordered [kh][kw][c], 0 in the padding */
export function im2col(x: ArrayLike<number>, g: ConvGeometry, p0: number, np: number): Float64Array {
  const K = g.KH * g.KW * g.C;
  const col = new Float64Array(np * K);
  for (let q = 0; q < np; q++) {
    const p = p0 + q;
    const ow = p % g.OW, oh = Math.floor(p / g.OW) % g.OH, n = Math.floor(p / (g.OW * g.OH));
    for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) for (let c = 0; c < g.C; c++) {
      const i = inputIndex(g, n, oh * g.SH - g.PT + kh, ow * g.SW - g.PL + kw, c);
      col[q * K + (kh * g.KW + kw) * g.C + c] = i >= 0 ? x[i]! : 0;
    }
  }
  return col;
}

/** the adjoint of im2col: a fresh dx with every in-bounds entry of col added at its pixel */
export function col2im(col: ArrayLike<number>, g: ConvGeometry, p0: number, np: number): Float64Array {
  const K = g.KH * g.KW * g.C;
  checkLen(col, np * K, 'col');
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  for (let q = 0; q < np; q++) {
    const p = p0 + q;
    const ow = p % g.OW, oh = Math.floor(p / g.OW) % g.OH, n = Math.floor(p / (g.OW * g.OH));
    for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) for (let c = 0; c < g.C; c++) {
      const i = inputIndex(g, n, oh * g.SH - g.PT + kh, ow * g.SW - g.PL + kw, c);
      if (i >= 0) dx[i]! += col[q * K + (kh * g.KW + kw) * g.C + c]!;
    }
  }
  return dx;
}

// ---------------------------------------------------------------------------
// Pooling ('valid' windows)
// ---------------------------------------------------------------------------

export interface PoolGeometry {
  N: number; H: number; W: number; C: number;
  PH: number; PW: number; SH: number; SW: number;
  OH: number; OW: number;
}

export function poolGeometry(N: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number): PoolGeometry {
  return { N, H, W, C, PH, PW, SH, SW, OH: Math.floor((H - PH) / SH) + 1, OW: Math.floor((W - PW) / SW) + 1 };
}

function outputIndex(g: PoolGeometry, n: number, oh: number, ow: number, c: number): number {
  return ((n * g.OH + oh) * g.OW + ow) * g.C + c;
}

/** window max per channel, and the flat index of x it came from (the first in row-major window order on ties) */
export function maxPoolForward(x: ArrayLike<number>, g: PoolGeometry): { y: Float64Array; argmax: Int32Array } {
  checkLen(x, g.N * g.H * g.W * g.C, 'x');
  const y = new Float64Array(g.N * g.OH * g.OW * g.C), argmax = new Int32Array(y.length);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) for (let c = 0; c < g.C; c++) {
    let best = -Infinity, at = -1;
    for (let ph = 0; ph < g.PH; ph++) for (let pw = 0; pw < g.PW; pw++) {
      const i = inputIndex(g, n, oh * g.SH + ph, ow * g.SW + pw, c);
      if (at < 0 || x[i]! > best) { best = x[i]!; at = i; }
    }
    y[outputIndex(g, n, oh, ow, c)] = best;
    argmax[outputIndex(g, n, oh, ow, c)] = at;
  }
  return { y, argmax };
}

/** each output's gradient goes to the input its max came from */
export function maxPoolBackward(x: ArrayLike<number>, dy: ArrayLike<number>, g: PoolGeometry): Float64Array {
  const { argmax } = maxPoolForward(x, g);
  checkLen(dy, argmax.length, 'dy');
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  for (let o = 0; o < argmax.length; o++) dx[argmax[o]!]! += dy[o]!;
  return dx;
}

export function avgPoolForward(x: ArrayLike<number>, g: PoolGeometry): Float64Array {
  checkLen(x, g.N * g.H * g.W * g.C, 'x');
  const y = new Float64Array(g.N * g.OH * g.OW * g.C);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) for (let c = 0; c < g.C; c++) {
    let s = 0;
    for (let ph = 0; ph < g.PH; ph++) for (let pw = 0; pw < g.PW; pw++) s += x[inputIndex(g, n, oh * g.SH + ph, ow * g.SW + pw, c)]!;
    y[outputIndex(g, n, oh, ow, c)] = s / (g.PH * g.PW);
  }
  return y;
}

/** every input of a window gets dy / (PH*PW) of that window's output; overlapping windows add */
export function avgPoolBackward(dy: ArrayLike<number>, g: PoolGeometry): Float64Array {
  checkLen(dy, g.N * g.OH * g.OW * g.C, 'dy');
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) for (let c = 0; c < g.C; c++) {
    const share = dy[outputIndex(g, n, oh, ow, c)]! / (g.PH * g.PW);
    for (let ph = 0; ph < g.PH; ph++) for (let pw = 0; pw < g.PW; pw++) dx[inputIndex(g, n, oh * g.SH + ph, ow * g.SW + pw, c)]! += share;
  }
  return dx;
}

// ---------------------------------------------------------------------------
// Batch normalization over an [M, C] view (channels last)
// ---------------------------------------------------------------------------

/** per-channel mean and biased variance (divided by M), two passes */
export function batchNormStats(x: ArrayLike<number>, M: number, C: number): { mean: Float64Array; variance: Float64Array } {
  checkLen(x, M * C, 'x');
  const mean = new Float64Array(C), variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let m = 0; m < M; m++) s += x[m * C + c]!;
    mean[c] = s / M;
    let q = 0;
    for (let m = 0; m < M; m++) q += (x[m * C + c]! - mean[c]!) ** 2;
    variance[c] = q / M;
  }
  return { mean, variance };
}

/** y = gamma (x - mean) / sqrt(var + eps) + beta with the given statistics (inference) */
export function batchNormInference(x: ArrayLike<number>, M: number, C: number, mean: ArrayLike<number>, variance: ArrayLike<number>,
                                   gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): Float64Array {
  checkLen(x, M * C, 'x');
  const y = new Float64Array(M * C);
  for (let m = 0; m < M; m++) for (let c = 0; c < C; c++) {
    y[m * C + c] = (gamma[c]! * (x[m * C + c]! - mean[c]!)) / Math.sqrt(variance[c]! + eps) + beta[c]!;
  }
  return y;
}

/** training forward: normalize with the batch's own statistics */
export function batchNormTraining(x: ArrayLike<number>, M: number, C: number, gamma: ArrayLike<number>, beta: ArrayLike<number>,
                                  eps: number): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const { mean, variance } = batchNormStats(x, M, C);
  return { y: batchNormInference(x, M, C, mean, variance, gamma, beta, eps), mean, variance };
}

/**
 * Backward through batchNormTraining (the statistics depend on x):
 *   xhat = (x - mean)/sqrt(var + eps), dbeta = Σ dy, dgamma = Σ dy xhat,
 *   dx = gamma/sqrt(var + eps) · (dy - dbeta/M - xhat dgamma/M)
 */
export function batchNormBackward(x: ArrayLike<number>, dy: ArrayLike<number>, M: number, C: number, gamma: ArrayLike<number>,
                                  eps: number): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  checkLen(dy, M * C, 'dy');
  const { mean, variance } = batchNormStats(x, M, C);
  const dx = new Float64Array(M * C), dgamma = new Float64Array(C), dbeta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const invstd = 1 / Math.sqrt(variance[c]! + eps);
    const xhat = (m: number) => (x[m * C + c]! - mean[c]!) * invstd;
    for (let m = 0; m < M; m++) { dbeta[c]! += dy[m * C + c]!; dgamma[c]! += dy[m * C + c]! * xhat(m); }
    for (let m = 0; m < M; m++) {
      dx[m * C + c] = gamma[c]! * invstd * (dy[m * C + c]! - dbeta[c]! / M - (xhat(m) * dgamma[c]!) / M);
    }
  }
  return { dx, dgamma, dbeta };
}

/** running = momentum running + (1 - momentum) batch, in place */
export function batchNormRunning(runMean: Float64Array, runVar: Float64Array, mean: ArrayLike<number>, variance: ArrayLike<number>,
                                 momentum: number): void {
  for (let c = 0; c < runMean.length; c++) {
    runMean[c] = momentum * runMean[c]! + (1 - momentum) * mean[c]!;
    runVar[c] = momentum * runVar[c]! + (1 - momentum) * variance[c]!;
  }
}

// ---------------------------------------------------------------------------
// Dropout (with a given mask: 1/(1 - rate) where kept, 0 where dropped)
// ---------------------------------------------------------------------------

export function dropoutForward(x: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  checkLen(mask, x.length, 'mask');
  return Float64Array.from(x, (v, i) => v * mask[i]!);
}

export function dropoutBackward(dy: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  checkLen(mask, dy.length, 'mask');
  return Float64Array.from(dy, (v, i) => v * mask[i]!);
}
