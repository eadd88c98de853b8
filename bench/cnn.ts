// The CNN workload (cnn-net.ts): LeNet-5 trained by trainBatch at batch 64 on the MNIST training
// digits, on each build, in turns with ConvNetJS 0.3.0 and TF.js's cpu backend on the same network;
// TF.js's wasm backend is given one step and reported as unable to train when it throws.
// ConvNetJS and TF.js cpu take about a second and about ten seconds a step here, so each gets a
// budget: one warm-up step, then a few repetitions of at least one step, spread over the same rounds
// as ours (timing.ts: timeInTurnsBudgeted), so a busy spell on the machine lands on all of them.
import { performance } from 'node:perf_hooks';
import { SGD, type Kernels, type LayerSpec } from '../src/index.js';
import type { Digits, MnistSplit } from '../src/data/mnist.js';
import { CNN_BATCH, CNN_INPUT, CNN_LABEL, CNN_LAYERS_LABEL, CNN_LR, CNN_MOMENTUM, cnnLayers, netFlops } from './cnn-net.js';
import { convnetjsCnnStepper, loadConvnetjs } from './peers/convnetjs.js';
import { cnnTrainError, tfjsCnnStepper } from './peers/tfjs-cnn.js';
import { loadTfjs, useBackend, type Stepper, type TfPeer } from './peers/tfjs.js';
import { median, timeInTurnsBudgeted, type BudgetedBody, type Timing } from './timing.js';
import { makeProbe } from './peak.js';
import { progress } from './progress.js';
import type { CnnResults, Rate } from './cnn-results.js';
import type { Build, Skipped } from './results.js';
import type { Plan } from './plan.js';
import type { OurBuild } from './ours.js';

/** trainBatch steps of the CNN (or of other layers on the same input) over consecutive batches of
 *  64, sliced before timing */
export function cnnStepper(k: Kernels, train: Digits, layers: readonly LayerSpec[] = cnnLayers()): Stepper {
  const model = k.sequential({ inputShape: [...CNN_INPUT], layers: [...layers], seed: 1 });
  const opt = new SGD({ learningRate: CNN_LR, momentum: CNN_MOMENTUM });
  const x: Float32Array[] = [], y: Uint8Array[] = [];
  for (let r = 0; r + CNN_BATCH <= train.rows; r += CNN_BATCH) {
    x.push(train.x.subarray(r * 784, (r + CNN_BATCH) * 784));
    y.push(train.y.subarray(r, r + CNN_BATCH));
  }
  let i = 0;
  return {
    step: () => {
      model.trainBatch(x[i]!, y[i]!, opt);
      i = i + 1 === x.length ? 0 : i + 1;
    },
    perStep: CNN_BATCH,
    dispose: () => model.dispose(),
  };
}

interface Peer { name: 'convnetjs' | 'tfjsCpu'; version: string; stepper: Stepper; calls: number; reps: number }

/** builds a slow peer's stepper, runs its warm-up step and sizes its repetitions; or why not */
function slowPeer(name: Peer['name'], version: string, make: () => Stepper, plan: Plan['cnn']): Peer | Skipped {
  let stepper: Stepper | null = null;
  try {
    stepper = make();
    const t0 = performance.now();
    stepper.step(); // the warm-up: compiles, and sizes the repetitions
    const stepMs = Math.max(performance.now() - t0, 1e-3);
    const rounds = plan.ours.reps;
    const reps = Math.min(rounds, Math.max(plan.peerMinReps, Math.floor(plan.peerBudgetMs / stepMs)));
    const calls = Math.max(1, Math.round(plan.peerBudgetMs / reps / stepMs));
    progress(`  ${name}: ${(CNN_BATCH / (stepMs / 1000)).toFixed(0)} samples/s in its warm-up step; ${reps} repetition(s) of ${calls} step(s)`);
    return { name, version, stepper, calls, reps };
  } catch (e) {
    stepper?.dispose();
    return { skipped: `${name} failed: ${(e as Error).message}` };
  }
}

const rateOf = (t: Timing, perStep: number): Rate => ({ samplesPerSec: perStep / t.seconds, spread: t.spread, reps: t.reps });

export interface CnnPeers {
  /** TF.js's wasm backend, loaded already (ours.ts times W1-W3 with it) */
  wasm: TfPeer | Skipped | null;
}

/** `peers` null: ours only (--no-peers) */
export async function measureCnn(kernels: Partial<Record<Build, OurBuild>>, data: MnistSplit, plan: Plan['cnn'],
  peers: CnnPeers | null): Promise<CnnResults> {
  const flops = netFlops(CNN_INPUT, cnnLayers());
  progress(`CNN ${CNN_LABEL} (${CNN_LAYERS_LABEL}): ${flops.forward.toLocaleString('en-US')} FLOP forward, ${flops.training.toLocaleString('en-US')} FLOP per training sample (${flops.counted})`);
  const out: CnnResults = {
    network: CNN_LABEL, layers: CNN_LAYERS_LABEL, inputShape: [...CNN_INPUT], batch: CNN_BATCH, optimizer: `SGD lr ${CNN_LR}, momentum ${CNN_MOMENTUM}`,
    flops: { forwardPerSample: flops.forward, trainingPerSample: flops.training, counted: flops.counted, layers: flops.layers },
    ours: {},
    convnetjs: { skipped: 'not run (--no-peers)' },
    tfjsCpu: { skipped: 'not run (--no-peers)' },
    tfjsWasm: { skipped: 'not run (--no-peers)' },
    method: '',
  };

  const slow: Peer[] = [];
  if (peers) {
    // the wasm backend first, while it is the active one
    const w = peers.wasm;
    if (!w) out.tfjsWasm = { skipped: 'not loaded' };
    else if ('skipped' in w) out.tfjsWasm = w;
    else {
      progress('CNN: TF.js wasm, one training step');
      await useBackend(w);
      const err = cnnTrainError(w, data.train);
      out.tfjsWasm = err === null ? { skipped: 'trains the CNN: measure it (bench/cnn.ts does not time it yet)' } : { version: w.version, unable: err };
      progress(`  ${err === null ? 'it trained' : `unable to train: ${err}`}`);
    }
    progress('CNN: ConvNetJS, warm-up step');
    const cj = loadConvnetjs();
    if ('skipped' in cj) out.convnetjs = cj;
    else {
      const p = slowPeer('convnetjs', cj.version, () => convnetjsCnnStepper(cj, data.train), plan);
      if ('skipped' in p) out.convnetjs = p; else slow.push(p);
    }
    progress('CNN: TF.js cpu, warm-up step');
    const cpu = await loadTfjs('cpu');
    if ('skipped' in cpu) out.tfjsCpu = cpu;
    else {
      await useBackend(cpu);
      const p = slowPeer('tfjsCpu', cpu.version, () => tfjsCnnStepper(cpu, data.train), plan);
      if ('skipped' in p) out.tfjsCpu = p; else slow.push(p);
    }
  }

  const builds = (Object.entries(kernels) as [Build, OurBuild][]);
  const o = plan.ours;
  // each of our repetitions is followed by a peak-probe call of its build, for its % of peak
  const probes = builds.map(([, ob]) => makeProbe(ob.bench, plan.probeMs));
  let probed: number[][] = [];
  progress(`CNN trainBatch: ${builds.map(([b]) => b).join(', ')}${slow.map((p) => ` and ${p.name}`).join('')}, ${o.reps} rounds in turns`);
  const oursTimed = (extra: Peer[]): Timing[] => {
    const steppers = builds.map(([, ob]) => cnnStepper(ob.k, data.train));
    probed = builds.map(() => []);
    try {
      const bodies: BudgetedBody[] = [
        ...steppers.map((s) => ({ body: s.step, repMs: o.repMs, warmupMs: o.warmupMs, warmupCalls: o.warmupCalls, reps: o.reps })),
        ...extra.map((p) => ({ body: p.stepper.step, repMs: 0, warmupMs: 0, calls: p.calls, reps: p.reps })),
      ];
      return timeInTurnsBudgeted(bodies, o.reps, (i) => { if (i < builds.length) probed[i]!.push(probes[i]!.once()); });
    } finally {
      for (const s of steppers) s.dispose();
    }
  };
  let timings: Timing[];
  try {
    timings = oursTimed(slow);
  } catch (e) {
    // a peer that throws mid-run is reported as skipped; ours are timed again alone
    progress(`  failed in turns (${(e as Error).message}); timing ours alone`);
    for (const p of slow) out[p.name] = { skipped: `${p.name} failed in turns: ${(e as Error).message}` };
    for (const p of slow) p.stepper.dispose();
    slow.length = 0;
    timings = oursTimed([]);
  }
  builds.forEach(([b], i) => {
    const t = timings[i]!;
    const r = rateOf(t, CNN_BATCH);
    const gflops = (r.samplesPerSec * flops.training) / 1e9;
    const pct = t.perCall.map((sec, j) => (100 * CNN_BATCH * flops.training) / sec / 1e9 / probed[i]![j]!);
    out.ours[b] = { ...r, gflops, pctPeak: median(pct) };
    progress(`  ${b}: ${r.samplesPerSec.toFixed(0)} samples/s (${gflops.toFixed(1)} GFLOP/s)`);
  });
  slow.forEach((p, j) => {
    const r = rateOf(timings[builds.length + j]!, CNN_BATCH);
    if (p.name === 'convnetjs') {
      out.convnetjs = { ...r, version: p.version, method: `Trainer { method: 'sgd', learning_rate: ${CNN_LR}, momentum: ${CNN_MOMENTUM}, batch_size: ${CNN_BATCH}, l2_decay: 0 }` };
    } else {
      out.tfjsCpu = { ...r, version: p.version };
    }
    progress(`  ${p.name}: ${r.samplesPerSec.toFixed(1)} samples/s over ${r.reps} repetition(s)`);
    p.stepper.dispose();
  });
  out.method = `ours: trainBatch on consecutive batches of ${CNN_BATCH} training digits (sliced before timing), warm-up ${o.warmupMs} ms, `
    + `then ${o.reps} rounds; in each round every build runs a repetition of about ${o.repMs} ms; ConvNetJS (Trainer.train on each digit of a batch, `
    + `digits converted to Vol(28, 28, 1) before timing) and TF.js cpu (one optimizer.minimize per batch, uploaded each step, loss read back) `
    + `each run one warm-up step, then repetitions of whole steps (about ${(plan.peerBudgetMs / 1000).toFixed(0)} s in all, at least ${plan.peerMinReps}) `
    + 'spread evenly over the same rounds; the median repetition is reported; ours\' % of peak: each repetition against the same build\'s peak probe run right after it';
  return out;
}
