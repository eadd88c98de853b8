// Gradients through whole small models built with k.sequential: the analytic gradient the model
// computes (trainBatch with learning rate 0, then p.grad) against (a) central finite differences of
// model.evaluate().loss with weights perturbed through setWeights, and (b) the float64 oracle's
// mlpLossAndGrads. Then whole training steps (plain, momentum, Nesterov) against mlpTrainStep.
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, dense, type Kernels, type Sequential, type Activation, type LossName, type Targets } from '../src/index.js';
import { kernelsUnderTest, seeded, closeness } from './helpers.js';
import * as oracle from './oracle/oracle.js';
import { oracleLayers } from './model-helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

const IN = 5, H1 = 7, H2 = 6, OUT = 3, BATCH = 6;

interface Head { act: Activation; loss: LossName; labels: 'indices' | 'soft' | 'targets' }
const HEADS: Head[] = [
  { act: 'softmax', loss: 'crossEntropy', labels: 'indices' }, // fused
  { act: 'softmax', loss: 'crossEntropy', labels: 'soft' }, // fused, float labels
  { act: 'sigmoid', loss: 'crossEntropy', labels: 'soft' }, // unfused: cross_entropy then sigmoid'
  { act: 'linear', loss: 'mse', labels: 'targets' },
  { act: 'sigmoid', loss: 'mse', labels: 'targets' },
  { act: 'tanh', loss: 'mse', labels: 'targets' },
  { act: 'relu', loss: 'mse', labels: 'targets' },
  { act: 'softmax', loss: 'mse', labels: 'indices' }, // class ids expanded to one-hot targets
];
const HIDDEN: Activation[] = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'];

function makeTargets(head: Head, seed: number): Targets {
  if (head.labels === 'indices') return Int32Array.from(seeded(BATCH, seed), (v) => Math.min(OUT - 1, Math.floor(((v + 1) / 2) * OUT)));
  if (head.labels === 'soft') {
    const t = seeded(BATCH * OUT, seed);
    for (let r = 0; r < BATCH; r++) {
      let s = 0;
      for (let j = 0; j < OUT; j++) { t[r * OUT + j] = Math.abs(t[r * OUT + j]!) + 0.05; s += t[r * OUT + j]!; }
      for (let j = 0; j < OUT; j++) t[r * OUT + j] = t[r * OUT + j]! / s;
    }
    return t;
  }
  return seeded(BATCH * OUT, seed, 0.9); // inside the range of sigmoid/tanh too, after a shift below
}

/** the oracle's gradients flattened in parameters() order: kernel, bias, kernel, bias … */
function oracleGrads(model: Sequential, x: Float32Array, y: Targets): { loss: number; grads: Float64Array[] } {
  const r = oracle.mlpLossAndGrads(oracleLayers(model), x, y, x.length / model.inputSize, model.loss, !(y instanceof Float32Array));
  const grads: Float64Array[] = [];
  r.dws.forEach((dw, l) => { grads.push(dw); const db = r.dbs[l]; if (db) grads.push(db); });
  return { loss: r.loss, grads };
}

/** smallest |pre-activation| of any relu layer, and the largest |input| to any layer */
function reluMargin(model: Sequential, x: Float32Array): { margin: number; scale: number } {
  const layers = oracleLayers(model);
  const { zs, ys } = oracle.mlpForward(layers, x, x.length / model.inputSize);
  let margin = Infinity, scale = 0;
  for (const v of x) scale = Math.max(scale, Math.abs(v));
  layers.forEach((L, l) => {
    if (L.act === 'relu') for (const z of zs[l]!) margin = Math.min(margin, Math.abs(z));
    for (const v of ys[l]!) scale = Math.max(scale, Math.abs(v));
  });
  return { margin, scale };
}

/** analytic gradients: one trainBatch with learning rate 0 leaves weights alone and fills p.grad */
function modelGrads(model: Sequential, x: Float32Array, y: Targets): { loss: number; grads: Float32Array[] } {
  const before = model.getWeights();
  const loss = model.trainBatch(x, y, new SGD({ learningRate: 0 }));
  const after = model.getWeights();
  after.forEach((w, i) => expect(w.values).toEqual(before[i]!.values)); // lr 0 really is a no-op
  return { loss, grads: model.parameters().map((p) => p.grad.slice()) };
}

/** central differences of evaluate().loss, each weight perturbed by ±h through setWeights */
function numericGrads(model: Sequential, x: Float32Array, y: Targets, h: number): Float64Array[] {
  const base = model.getWeights().map((w) => w.values);
  const out = base.map((v) => new Float64Array(v.length));
  for (let p = 0; p < base.length; p++) {
    for (let i = 0; i < base[p]!.length; i++) {
      const trial = base.map((v) => v.slice());
      const v0 = base[p]![i]!;
      trial[p]![i] = v0 + h;
      const up = trial[p]![i]!; // the float32 values actually used
      model.setWeights(trial);
      const lUp = model.evaluate(x, y).loss;
      trial[p]![i] = v0 - h;
      const dn = trial[p]![i]!;
      model.setWeights(trial);
      const lDn = model.evaluate(x, y).loss;
      out[p]![i] = (lUp - lDn) / (up - dn);
    }
  }
  model.setWeights(base);
  return out;
}

interface Case { hidden: Activation; head: Head; bias: boolean }
const CASES: Case[] = [];
for (const hidden of HIDDEN) for (const head of HEADS) for (const bias of [true, false]) CASES.push({ hidden, head, bias });

/**
 * A model and a batch for the case, the first seed where (a) every relu pre-activation is at least
 * a few perturbations away from 0, so no finite difference crosses a kink, and (b) the oracle's
 * gradient is large enough that a wrong gradient cannot pass for a right one (dead relu outputs,
 * saturated units and tiny softmax-hidden signals rule out some seeds).
 */
function setup(c: Case, h: number): { model: Sequential; x: Float32Array; y: Targets } {
  for (let seed = 1; seed < 500; seed++) {
    const model = k.sequential({
      inputSize: IN,
      layers: [dense(H1, c.hidden, { bias: c.bias }), dense(H2, c.hidden, { bias: c.bias }), dense(OUT, c.head.act, { bias: c.bias })],
      loss: c.head.loss,
      seed,
    });
    // biases start at 0: give them values so their gradients and their part in the forward pass count
    if (c.bias) model.setWeights(model.getWeights().map((w, i) => (i % 2 === 1 ? seeded(w.values.length, seed * 10 + i, 0.3) : w.values)));
    const x = seeded(BATCH * IN, seed + 1000, 1.5);
    let y = makeTargets(c.head, seed + 2000);
    if (c.head.labels === 'targets' && (c.head.act === 'sigmoid' || c.head.act === 'relu')) y = Float32Array.from(y as Float32Array, (v) => (v + 1) / 2);
    const { margin, scale } = reluMargin(model, x);
    const reference = oracleGrads(model, x, y).grads;
    const biggest = Math.max(...reference.map((g) => Math.max(...Array.from(g, Math.abs))));
    if (margin > 4 * h * Math.max(1, scale) && biggest > 1e-2) return { model, x, y };
    model.dispose();
  }
  throw new Error(`no seed gives ${JSON.stringify(c)} relu margins and a gradient large enough`);
}

const label = (c: Case) => `${c.hidden} hidden, ${c.head.act} + ${c.head.loss} (${c.head.labels})${c.bias ? '' : ', no bias'}`;

describe('finite differences through whole models', () => {
  // float32 forward passes: h large enough that rounding in the loss (~1e-7) stays small against
  // 2h, small enough that the O(h²) truncation error stays below the tolerance. Measured: the
  // worst element differs by ~3e-5 on gradients up to ~2, so atol 2e-4 + 0.5% leaves a margin.
  const h = 4e-3;
  for (const c of CASES) {
    it(label(c), () => {
      const { model, x, y } = setup(c, h);
      const an = modelGrads(model, x, y).grads;
      const fd = numericGrads(model, x, y, h);
      let num = 0, den = 0, biggest = 0;
      an.forEach((g, p) => {
        const name = model.parameters()[p]!.name;
        expect(closeness(g, fd[p]!, 2e-4, 5e-3), `${label(c)}: ${name}`).toBeLessThanOrEqual(1);
        for (let i = 0; i < g.length; i++) { num += (g[i]! - fd[p]![i]!) ** 2; den += fd[p]![i]! ** 2; biggest = Math.max(biggest, Math.abs(fd[p]![i]!)); }
      });
      expect(Math.sqrt(num / den), `${label(c)}: relative error of the whole gradient`).toBeLessThan(2e-3);
      expect(biggest, 'gradients large enough to tell right from wrong').toBeGreaterThan(1e-2);
      model.dispose();
    });
  }
});

describe('analytic gradients against the float64 oracle', () => {
  for (const c of CASES) {
    it(label(c), () => {
      const { model, x, y } = setup(c, 1e-3);
      const got = modelGrads(model, x, y);
      const want = oracleGrads(model, x, y);
      expect(Math.abs(got.loss - want.loss), 'loss').toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(want.loss));
      got.grads.forEach((g, p) => {
        expect(closeness(g, want.grads[p]!, 1e-6, 1e-4), `${label(c)}: ${model.parameters()[p]!.name}`).toBeLessThanOrEqual(1);
      });
      model.dispose();
    });
  }

  it('a larger model on sizes that are not multiples of 4: 33 -> 17 relu -> 130 tanh -> 10 softmax, batch 13', () => {
    const model = k.sequential({ inputSize: 33, layers: [dense(17, 'relu'), dense(130, 'tanh'), dense(10, 'softmax')], seed: 7 });
    model.setWeights(model.getWeights().map((w, i) => (i % 2 === 1 ? seeded(w.values.length, i, 0.2) : w.values)));
    const x = seeded(13 * 33, 5);
    const y = Uint8Array.from(seeded(13, 6), (v) => Math.floor(((v + 1) / 2) * 10) % 10);
    const got = modelGrads(model, x, y);
    const want = oracleGrads(model, x, y);
    expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-5 * want.loss);
    got.grads.forEach((g, p) => expect(closeness(g, want.grads[p]!, 1e-6, 1e-4), model.parameters()[p]!.name).toBeLessThanOrEqual(1));
    model.dispose();
  });
});

describe('whole training steps against the oracle (mlpTrainStep)', () => {
  const runs = [
    { rule: 'momentum' as const, lr: 0.1, beta: 0.9, layers: [dense(7, 'tanh'), dense(3, 'softmax')], labels: 'indices' as const },
    { rule: 'nesterov' as const, lr: 0.1, beta: 0.9, layers: [dense(7, 'tanh'), dense(3, 'softmax')], labels: 'indices' as const },
    { rule: 'momentum' as const, lr: 0.05, beta: 0.5, layers: [dense(9, 'sigmoid'), dense(5, 'relu', { bias: false }), dense(3, 'linear')], labels: 'targets' as const },
    { rule: 'nesterov' as const, lr: 0.05, beta: 0.99, layers: [dense(9, 'sigmoid'), dense(3, 'linear')], labels: 'targets' as const },
    { rule: 'plain' as const, lr: 0.2, beta: 0, layers: [dense(7, 'relu'), dense(3, 'softmax')], labels: 'indices' as const },
  ];
  for (const r of runs) {
    const desc = `${r.rule} (lr ${r.lr}, beta ${r.beta}): ${r.layers.map((l) => `${l.units} ${l.activation}`).join(' -> ')}, 8 steps, batch size changing`;
    it(desc, () => {
      const model = k.sequential({ inputSize: IN, layers: r.layers, seed: 11 });
      const sgd = new SGD({ learningRate: r.lr, momentum: r.beta, nesterov: r.rule === 'nesterov' });
      const layers = oracleLayers(model);
      const velocities = model.parameters().map((p) => new Float64Array(p.size));
      for (let step = 0; step < 8; step++) {
        const batch = [6, 6, 5, 9, 1, 6, 3, 13][step]!;
        const x = seeded(batch * IN, 100 + step, 1.5);
        const y: Targets = r.labels === 'indices'
          ? Int32Array.from(seeded(batch, 200 + step), (v) => Math.min(2, Math.floor(((v + 1) / 2) * 3)))
          : seeded(batch * 3, 200 + step);
        const loss = model.trainBatch(x, y, sgd);
        const want = oracle.mlpTrainStep(layers, velocities, x, y, batch, model.loss, r.labels === 'indices', r.rule, r.lr, r.beta);
        expect(Math.abs(loss - want), `step ${step} loss`).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-6);
        const flat: Float64Array[] = [];
        layers.forEach((L) => { flat.push(L.w); if (L.b) flat.push(L.b); });
        model.parameters().forEach((p, i) => {
          expect(closeness(p.value, flat[i]!, 1e-5, 1e-4), `step ${step} ${p.name} value`).toBeLessThanOrEqual(1);
          if (r.rule !== 'plain') expect(closeness(sgd.state(p).velocity, velocities[i]!, 1e-6, 1e-4), `step ${step} ${p.name} velocity`).toBeLessThanOrEqual(1);
          else expect(sgd.hasState(p), 'plain GD keeps no velocity').toBe(false);
        });
      }
      expect(sgd.iterations).toBe(8);
      model.dispose();
    });
  }
});
