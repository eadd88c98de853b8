// The conv2d layer alone, through its own LayerType (CONV2D.create, then the Layer's forward and
// backward with a LayerCall over blocks laid out here, as Sequential lays them out): batch 64, each
// product as GFLOP/s (2·P·K·F per call, P = batch·OH·OW, K = KH·KW·C) and as % of the in-run peak.
//   forward          forward(): im2col, the GEMM, bias and relu
//   filter gradient  backward() with dx = 0: the relu mask, then for each block im2col again, the
//                    bias's sums and the dKᵀ GEMM into its group's partial, and the partials' ordered
//                    sum (all but the GEMM small next to it)
//   input gradient   backward() with dx minus backward() with dx = 0, repetition by repetition: the
//                    dcol GEMM, col2im and zeroing dx
// Every (layer, body, build) cell's repetitions are taken in turns, each followed by a peak-probe
// call of that build, as the GEMMs are (ours.ts).
import type { Kernels } from '../src/index.js';
import { conv2d, CONV2D } from '../src/layers/conv2d.js';
import type { Layer, LayerCall } from '../src/layers/layer.js';
import { Block } from '../src/runtime/memory.js';
import { Rng } from '../src/util/rng.js';
import { makeProbe } from './peak.js';
import { median, timeInTurns, type Timing } from './timing.js';
import { progress } from './progress.js';
import { CNN_BATCH, CONV_CASES, convCaseFlops, type ConvCase } from './cnn-net.js';
import type { ConvLayerResult, ConvProductRate, ConvResults } from './cnn-results.js';
import type { Build } from './results.js';
import type { OurBuild } from './ours.js';
import type { Plan } from './plan.js';

export const CONV_METHOD = 'each conv layer alone through its LayerType (create(), then forward and backward on blocks laid out by the bench), batch 64, relu as in the CNN; '
  + 'forward = forward(); filter gradient = backward() without the input gradient (dx = 0; includes the relu mask, the bias sums, a second im2col and the sum of the filter-gradient partials); '
  + 'input gradient = backward() with dx minus backward() without, repetition by repetition (the GEMM, col2im and zeroing dx); '
  + 'FLOPs 2·P·K·F per product (P = batch·OH·OW, K = KH·KW·C, F = filters); % of peak: each repetition against the same build\'s peak probe run right after it';

function fill(a: Float32Array, seed: number, lo: number, hi: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + (hi - lo) * (s / 2 ** 32);
  }
}

/** One conv layer on one build's memory, with its input, output and gradient blocks. */
class ConvLayerBench {
  private readonly layer: Layer;
  private readonly blocks: Block[] = [];
  private readonly fwd: LayerCall;
  private readonly noDx: LayerCall;
  private readonly withDx: LayerCall;

  constructor(private readonly k: Kernels, c: ConvCase, rows: number) {
    const spec = conv2d(c.filters, c.kernel, 'relu', { padding: c.padding });
    this.layer = CONV2D.create(k, spec, c.input, 'conv', new Rng(1), 1);
    const inSize = c.input[0] * c.input[1] * c.input[2];
    const outSize = this.layer.outputShape.reduce((a, b) => a * b, 1);
    const mk = (n: number) => { const b = new Block(k.arena, Math.max(1, n)); this.blocks.push(b); return b; };
    const x = mk(rows * inSize), y = mk(rows * outSize), dy = mk(rows * outSize), dx = mk(rows * inSize);
    const ws = this.layer.workspace(rows);
    const work = ws.persistent > 0 ? mk(ws.persistent).ptr : 0;
    const scratch = ws.scratch > 0 ? mk(ws.scratch).ptr : 0;
    fill(x.f32, 1, 0, 1); // like pixels or the relu outputs of a layer below
    fill(dy.f32, 2, -1, 1);
    const base: LayerCall = { rows, x: x.ptr, y: y.ptr, dy: dy.ptr, dx: 0, work, scratch, training: true, logits: false };
    this.fwd = base;
    this.noDx = { ...base };
    this.withDx = { ...base, dx: dx.ptr };
    this.forward(); // backward reads the relu mask from y
  }

  readonly forward = () => this.layer.forward(this.k, this.fwd);
  readonly backwardNoDx = () => this.layer.backward(this.k, this.noDx);
  readonly backwardWithDx = () => this.layer.backward(this.k, this.withDx);

  free(): void {
    this.layer.dispose();
    for (const b of this.blocks) b.free();
  }
}

type Body = 'forward' | 'noDx' | 'withDx';
const BODIES: readonly Body[] = ['forward', 'noDx', 'withDx'];

/** What the shape leaves the GEMMs (conv2d.ts runs them on im2col blocks of positions): their sides
 *  and depth, and how few flops each byte of im2col columns carries (2·K·F flops per 4·K bytes). */
function limits(K: number, F: number, C: number, stride1 = true): string {
  if (C === 1 && stride1) {
    // conv2d.ts's one-channel path: no im2col for these two
    return `forward and filter gradient by the direct one-channel kernels (assembly/conv_c1.ts: SIMD lanes along 4 output pixels, one broadcast weight per filter and tap), input gradient as a GEMM (P and ${K}, depth ${F}) then col2im. ` +
      `Few channels: with 1 input channel each tap is a single multiply-add per filter and pixel, and ${F} filters give each group of 4 pixels only ${F} accumulator chains of ${K} taps, so the forward runs near the FMA latency, not its throughput`;
  }
  const shapes = `GEMMs (sides, depth): forward P and ${F}, depth ${K}; filter gradient ${F} and ${K}, depth P; input gradient P and ${K}, depth ${F}, then col2im`;
  const few: string[] = [];
  if (C < 16) few.push(`${C} input channel${C === 1 ? ' makes' : 's make'} the forward's depth K = ${K}`);
  if (F < 32) few.push(`${F} filters make the forward and filter-gradient products ${F} wide and give the input gradient ${F} k-steps per tile between loading and storing its accumulators`);
  const traffic = `im2col and col2im move 4 bytes per ${F / 2} flops`;
  return few.length ? `${shapes}. Few channels: ${few.join('; ')}; ${traffic}` : `${shapes}; ${traffic}`;
}

export function measureConvLayers(kernels: Partial<Record<Build, OurBuild>>, o: Plan['conv']): ConvResults {
  const builds = Object.entries(kernels) as [Build, OurBuild][];
  const layers: ConvLayerResult[] = [];
  const benches: ConvLayerBench[] = [];
  try {
    const cells = CONV_CASES.flatMap((c, ci) => builds.flatMap(([build, ob]) => {
      const b = new ConvLayerBench(ob.k, c, CNN_BATCH);
      benches.push(b);
      const fn = { forward: b.forward, noDx: b.backwardNoDx, withDx: b.backwardWithDx };
      return BODIES.map((body) => ({ ci, build, body, run: fn[body], probes: [] as number[] }));
    }));
    const probes = new Map(builds.map(([build, ob]) => [build, makeProbe(ob.bench, o.probeMs)]));
    progress(`conv layers: ${cells.length} cells (layers x {forward, backward without dx, backward with dx} x builds), ${o.reps} rounds`);
    const timings = timeInTurns(cells.map((c) => c.run), {
      repMs: o.repMs, reps: o.reps, warmupMs: o.warmupMs,
      afterRep: (j) => { const c = cells[j]!; c.probes.push(probes.get(c.build)!.once()); },
    });
    CONV_CASES.forEach((c, ci) => {
      const f = convCaseFlops(c);
      const row: ConvLayerResult = {
        name: c.name, input: [...c.input], output: f.outShape, filters: c.filters, kernel: c.kernel, padding: c.padding,
        batch: CNN_BATCH, P: f.P, K: f.K, F: f.F, flops: f.flops, target: c.target, limits: limits(f.K, f.F, c.input[2]), ...(c.note ? { note: c.note } : {}), builds: {},
      };
      for (const [build] of builds) {
        const at = (body: Body) => cells.findIndex((x) => x.ci === ci && x.build === build && x.body === body);
        const [iF, iN, iD] = BODIES.map(at) as [number, number, number];
        const tF = timings[iF]!, tN = timings[iN]!, tD = timings[iD]!;
        const pF = cells[iF]!.probes, pN = cells[iN]!.probes, pD = cells[iD]!.probes;
        // the input gradient from the two backward bodies of the same round, which ran back to back
        const diff = tD.perCall.map((s, r) => s - tN.perCall[r]!);
        const diffProbes = pD.map((p, r) => (p + pN[r]!) / 2);
        row.builds[build] = {
          forward: rate(f.flops, tF.perCall, pF, tF),
          filterGrad: rate(f.flops, tN.perCall, pN, tN),
          inputGrad: rate(f.flops, diff, diffProbes, null),
        };
      }
      layers.push(row);
    });
  } finally {
    for (const b of benches) b.free();
  }
  return { method: CONV_METHOD, layers };
}

function rate(flops: number, perCall: number[], probes: number[], t: Timing | null): ConvProductRate {
  const sec = median(perCall);
  const rates = perCall.map((s) => (s > 0 ? flops / s / 1e9 : Infinity));
  const fin = rates.filter(Number.isFinite);
  const spread = t ? t.spread : fin.length ? (Math.max(...fin) - Math.min(...fin)) / (flops / sec / 1e9) : NaN;
  return { gflops: sec > 0 ? flops / sec / 1e9 : NaN, pctPeak: 100 * median(rates.map((r, i) => r / probes[i]!)), spread };
}
