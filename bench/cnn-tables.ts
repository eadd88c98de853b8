// The CNN and conv-layer tables (rows of strings, like tables.ts), and the lines that go under them:
// the FLOP count, TF.js wasm's error, what limits each conv layer, how it was all timed.
import type { Table } from './tables.js';
import type { Build, Results, Skipped } from './results.js';
import { CONV_PRODUCTS, CONV_PRODUCT_LABEL, CONV_TARGET_PCT } from './cnn-results.js';

const DASH = '–';
const int = (v: number) => Math.round(v).toLocaleString('en-US');
const rate = (v: number) => (v >= 100 ? int(v) : v.toFixed(1));
const ratio = (v: number) => (v >= 100 ? `${v.toFixed(0)}x` : `${v.toFixed(1)}x`);
const skipped = (r: object): r is Skipped => 'skipped' in r;

function builds(r: Results): Build[] {
  return (['plain', 'relaxed'] as const).filter((b) => r.cnn?.ours[b] !== undefined || r.conv?.layers.some((l) => l.builds[b]));
}

export function cnnTable(r: Results): Table | null {
  const c = r.cnn;
  if (!c) return null;
  const bs = (['plain', 'relaxed'] as const).filter((b) => c.ours[b]);
  const head = c.ours[r.headline] ? r.headline : bs[bs.length - 1];
  const cj = skipped(c.convnetjs) ? null : c.convnetjs;
  const cpu = skipped(c.tfjsCpu) ? null : c.tfjsCpu;
  const wasm = c.tfjsWasm;
  const wasmCell = 'unable' in wasm ? 'cannot train' : 'samplesPerSec' in wasm ? rate(wasm.samplesPerSec) : DASH;
  const mine = head ? c.ours[head] : undefined;
  const headers = ['network', 'unit', ...bs, 'ConvNetJS', 'TF.js cpu', 'TF.js wasm', ...(head ? [`${head} / ConvNetJS`, `${head} / TF.js cpu`] : [])];
  const rows: string[][] = [
    [`${c.network}, batch ${c.batch}, trainBatch`, 'samples/s', ...bs.map((b) => int(c.ours[b]!.samplesPerSec)),
      cj ? rate(cj.samplesPerSec) : DASH, cpu ? rate(cpu.samplesPerSec) : DASH, wasmCell,
      ...(head ? [mine && cj ? ratio(mine.samplesPerSec / cj.samplesPerSec) : DASH, mine && cpu ? ratio(mine.samplesPerSec / cpu.samplesPerSec) : DASH] : [])],
    [`the same, ${int(c.flops.trainingPerSample)} FLOP a training sample`, 'GFLOP/s (% peak)',
      ...bs.map((b) => `${c.ours[b]!.gflops.toFixed(1)} (${c.ours[b]!.pctPeak.toFixed(0)}%)`),
      cj ? ((cj.samplesPerSec * c.flops.trainingPerSample) / 1e9).toFixed(2) : DASH,
      cpu ? ((cpu.samplesPerSec * c.flops.trainingPerSample) / 1e9).toFixed(3) : DASH, DASH, ...(head ? ['', ''] : [])],
  ];
  return { headers, rows, align: ['l', 'l', ...headers.slice(2).map(() => 'r' as const)] };
}

/** what ran, what could not, and how the CNN's FLOPs are counted */
export function cnnLines(r: Results): string[] {
  const c = r.cnn;
  if (!c) return [];
  const lines = [`${c.network}: ${c.layers}; ${c.optimizer}`, `FLOPs per sample: ${int(c.flops.forwardPerSample)} forward, ${int(c.flops.trainingPerSample)} per training step (${c.flops.counted})`];
  if (!skipped(c.convnetjs)) lines.push(`ConvNetJS ${c.convnetjs.version}: ${c.convnetjs.method}, the same layers (conv pad 2 for 'same'), ${c.convnetjs.reps} timed repetition(s)`);
  else lines.push(`ConvNetJS: ${c.convnetjs.skipped}`);
  if (!skipped(c.tfjsCpu)) lines.push(`TF.js ${c.tfjsCpu.version} cpu backend: tf.conv2d / tf.maxPool / tf.matMul with tf.train.momentum, ${c.tfjsCpu.reps} timed repetition(s)`);
  else lines.push(`TF.js cpu: ${c.tfjsCpu.skipped}`);
  const w = c.tfjsWasm;
  if ('unable' in w) lines.push(`TF.js ${w.version} wasm backend cannot train it: ${w.unable}`);
  else if (skipped(w)) lines.push(`TF.js wasm: ${w.skipped}`);
  lines.push(`Timing: ${c.method}`);
  return lines;
}

export function convTable(r: Results): Table | null {
  const cv = r.conv;
  if (!cv || cv.layers.length === 0) return null;
  const bs = builds(r).filter((b) => cv.layers.some((l) => l.builds[b]));
  const headers = ['conv layer, batch 64', 'P×K×F', 'product', ...bs.map((b) => `${b} GFLOP/s (% peak)`)];
  const rows: string[][] = [];
  for (const l of cv.layers) {
    CONV_PRODUCTS.forEach((p, i) => {
      rows.push([i === 0 ? l.name : '', i === 0 ? `${l.P}×${l.K}×${l.F}` : '', CONV_PRODUCT_LABEL[p], ...bs.map((b) => {
        const x = l.builds[b]?.[p];
        if (!x) return DASH;
        const flag = l.target && x.pctPeak < CONV_TARGET_PCT ? ' *' : '';
        return `${x.gflops.toFixed(1)} (${x.pctPeak.toFixed(0)}%)${flag}`;
      })]);
    });
  }
  return { headers, rows, align: ['l', 'l', 'l', ...bs.map(() => 'r' as const)] };
}

/** what limits each layer, and how the products were timed */
export function convLines(r: Results): string[] {
  const cv = r.conv;
  if (!cv) return [];
  return [...cv.layers.map((l) => `${l.name}: ${l.limits}.${l.note ? ` ${l.note}.` : ''}`), `Method: ${cv.method}`];
}
