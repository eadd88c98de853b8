// What the table commands print beside every result: how good the model is on held-out rows, and
// what a model that learned nothing would score there (the majority class; the mean), so that a
// number means something at a glance.

export interface ClassScore {
  accuracy: number;
  /** per class: rows of that class, and how many of them were predicted right */
  perClass: Array<{ name: string; rows: number; correct: number }>;
}

export interface RegressionScore {
  rmse: number;
  mae: number;
  /** 1 − SSE / SST around the scored rows' own mean (0: no better than that mean; < 0: worse) */
  r2: number;
}

/** the class with the highest probability in each row of `p` (rows × classes) */
export function argmaxRows(p: Float32Array, classes: number): Int32Array {
  const rows = p.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[r * classes + c]! > p[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}

export function classScore(predicted: ArrayLike<number>, truth: ArrayLike<number>, classes: readonly string[]): ClassScore {
  const perClass = classes.map((name) => ({ name, rows: 0, correct: 0 }));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const c = perClass[truth[i]!]!;
    c.rows++;
    if (predicted[i] === truth[i]) { c.correct++; correct++; }
  }
  return { accuracy: truth.length === 0 ? NaN : correct / truth.length, perClass };
}

export function regressionScore(predicted: ArrayLike<number>, truth: ArrayLike<number>): RegressionScore {
  const n = truth.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i]!;
  mean /= n;
  let sse = 0, sae = 0, sst = 0;
  for (let i = 0; i < n; i++) {
    const e = predicted[i]! - truth[i]!;
    sse += e * e;
    sae += Math.abs(e);
    sst += (truth[i]! - mean) ** 2;
  }
  return { rmse: Math.sqrt(sse / n), mae: sae / n, r2: sst === 0 ? (sse === 0 ? 1 : -Infinity) : 1 - sse / sst };
}

/** the most frequent class id among `y` (ties: the lowest id) */
export function majorityClass(y: ArrayLike<number>, classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
  return counts.indexOf(Math.max(...counts));
}

export function mean(y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]!;
  return s / y.length;
}

const fixed = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toPrecision(4) : v.toFixed(4));

export function formatClassScore(s: ClassScore, baseline: ClassScore): string {
  return `accuracy ${s.accuracy.toFixed(4)} (majority-class baseline ${baseline.accuracy.toFixed(4)})`;
}

export function formatPerClass(s: ClassScore): string {
  return s.perClass.map((c) => `${c.name} ${c.correct}/${c.rows}`).join(', ');
}

export function formatRegressionScore(s: RegressionScore, baseline: RegressionScore): string {
  return `RMSE ${fixed(s.rmse)}  MAE ${fixed(s.mae)}  R² ${s.r2.toFixed(4)}  ` +
    `(mean baseline RMSE ${fixed(baseline.rmse)}  MAE ${fixed(baseline.mae)}  R² ${baseline.r2.toFixed(4)})`;
}
