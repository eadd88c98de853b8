// The CNN and conv-layer parts of bench/results.json, and their targets (issue: CNN training
// >= 30x ConvNetJS and >= 300x TF.js cpu; the wider conv layer's three products >= 70% of the
// in-run peak; single thread, the build loadKernels() picks). Types only from results.ts, so
// results.ts can call cnnTargets without an import cycle at load time.
import type { Build, Results, Skipped, Target } from './results.js';
import type { LayerFlops } from './cnn-net.js';

export interface Rate { samplesPerSec: number; spread: number; reps: number }

export interface CnnResults {
  network: string;
  layers: string;
  inputShape: number[];
  batch: number;
  optimizer: string;
  /** per sample: forward, and one training step (forward + weight gradients + input gradients) */
  flops: { forwardPerSample: number; trainingPerSample: number; counted: string; layers: LayerFlops[] };
  /** trainBatch at batch 64; gflops = samples/s × training FLOPs per sample; pctPeak: median over repetitions against the probe after each */
  ours: Partial<Record<Build, Rate & { gflops: number; pctPeak: number }>>;
  convnetjs: (Rate & { version: string; method: string }) | Skipped;
  tfjsCpu: (Rate & { version: string }) | Skipped;
  /** the wasm backend cannot take the CNN's gradient: `unable` is the error its training step throws */
  tfjsWasm: { version: string; unable: string } | (Rate & { version: string }) | Skipped;
  /** how ours and the peers were timed */
  method: string;
}

export type ConvProduct = 'forward' | 'inputGrad' | 'filterGrad';
export const CONV_PRODUCTS: readonly ConvProduct[] = ['forward', 'inputGrad', 'filterGrad'];
export const CONV_PRODUCT_LABEL: Record<ConvProduct, string> = { forward: 'forward', inputGrad: 'input gradient', filterGrad: 'filter gradient' };

export interface ConvProductRate {
  /** 2·P·K·F / the median seconds per call */
  gflops: number;
  /** median over repetitions of (GFLOP/s / the peak probe run right after that repetition), in % */
  pctPeak: number;
  spread: number;
}

export interface ConvLayerResult {
  name: string;
  input: number[];
  output: number[];
  filters: number;
  kernel: number;
  padding: string;
  batch: number;
  /** positions over the batch, depth KH·KW·C, filters */
  P: number; K: number; F: number;
  /** 2·P·K·F: each product's FLOPs */
  flops: number;
  /** the 70% target applies */
  target: boolean;
  /** what bounds the layer, from its shape */
  limits: string;
  note?: string;
  builds: Partial<Record<Build, Record<ConvProduct, ConvProductRate>>>;
}

export interface ConvResults {
  method: string;
  layers: ConvLayerResult[];
}

export const CNN_VS_CONVNETJS = 30;
export const CNN_VS_TFJS_CPU = 300;
export const CONV_TARGET_PCT = 70;

const skipped = (r: object): r is Skipped => 'skipped' in r;

export function cnnTargets(r: Results): Target[] {
  const t: Target[] = [];
  const b = r.headline;
  const cnn = r.cnn;
  const ours = cnn?.ours[b];
  if (cnn && ours) {
    const vs = (name: string, peer: { samplesPerSec: number } | Skipped | { unable: string }, want: number) => {
      if (skipped(peer) || !('samplesPerSec' in peer)) return;
      const x = ours.samplesPerSec / peer.samplesPerSec;
      t.push({ name: `CNN training (batch 64, ${b}) vs ${name}`, want: `>= ${want}x`, got: `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}x`, met: x >= want });
    };
    vs('ConvNetJS', cnn.convnetjs, CNN_VS_CONVNETJS);
    vs('TF.js cpu', cnn.tfjsCpu, CNN_VS_TFJS_CPU);
  }
  for (const l of r.conv?.layers ?? []) {
    const rates = l.builds[b];
    if (!l.target || !rates) continue;
    const worst = CONV_PRODUCTS.reduce((a, p) => (rates[p].pctPeak < rates[a].pctPeak ? p : a));
    const missed = CONV_PRODUCTS.filter((p) => rates[p].pctPeak < CONV_TARGET_PCT).length;
    const lowest = `lowest ${rates[worst].pctPeak.toFixed(0)}% (${CONV_PRODUCT_LABEL[worst]})`;
    t.push({
      name: `conv ${l.input.join('x')} → ${l.filters}@${l.kernel}x${l.kernel} (${b}): forward, input and filter gradients`,
      want: `>= ${CONV_TARGET_PCT}% of the ${b} peak`,
      got: missed ? `${missed} of 3 below; ${lowest}` : `all 3 above; ${lowest}`,
      met: missed === 0,
    });
  }
  return t;
}
