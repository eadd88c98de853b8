// `npx tsx bench/ab.ts --against <dir> [cnn|cli-cnn|w1|w2] [--threads N] [--rounds 15] [--simd plain|relaxed]`: this tree against
// another checkout of the project (`git worktree add <dir> <commit>`, then `npm run build:wasm`
// there), both loaded into one process, each at 1 thread and at N (default: every core), the four
// steppers in turns, rounds of about 250 ms. On this machine, whose speed moves by a third from one
// minute to the next, only comparisons taken in turns like this say which of two versions is faster.
import './flags.js';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ours from '../src/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { cnnLayers, CNN_INPUT } from './cnn-net.js';
import { CNN_LAYERS } from '../src/cli/mnist-train.js';
import { timeInTurns } from './timing.js';

type Lib = typeof ours;
const args = process.argv.slice(2);
const flag = (name: string) => { const at = args.indexOf(name); return at >= 0 ? args[at + 1] : undefined; };
const against = flag('--against');
if (!against) throw new Error('usage: npx tsx bench/ab.ts --against <dir of another checkout> [cnn|cli-cnn|w1|w2] [--threads N] [--rounds 15] [--simd plain|relaxed]');
const workload = args.find((a) => ['cnn', 'cli-cnn', 'w1', 'w2'].includes(a)) ?? 'cnn';
const threads = Number(flag('--threads') ?? availableParallelism());
// which build both trees load (default: what loadKernels() picks, the relaxed one here)
const simd = (flag('--simd') ?? 'auto') as 'auto' | 'plain' | 'relaxed';
const rounds = Number(flag('--rounds') ?? 15);
const theirs = (await import(pathToFileURL(resolve(against, 'src', 'index.ts')).href)) as Lib;
const { train } = await loadMnist({ trainRows: 4096, testRows: 0 });

const SHAPES = { cnn: { batch: 64, hidden: [] }, 'cli-cnn': { batch: 64, hidden: [] }, w1: { batch: 64, hidden: [128] }, w2: { batch: 256, hidden: [512, 512] } } as const;
function stepper(lib: Lib, k: ours.Kernels): () => void {
  const { batch, hidden } = SHAPES[workload as keyof typeof SHAPES];
  // cnn: LeNet-5 (the bench's); cli-cnn: the command line's (16 and 32 filters)
  const model = workload === 'cnn' || workload === 'cli-cnn'
    ? k.sequential({ inputShape: [...CNN_INPUT], layers: workload === 'cnn' ? cnnLayers() : [...CNN_LAYERS], seed: 1 })
    : k.sequential({ inputSize: 784, layers: [...hidden.map((h) => lib.dense(h, 'relu')), lib.dense(10, 'softmax')], seed: 1 });
  const opt = new lib.SGD({ learningRate: 0.01, momentum: 0.9 });
  const batches = Math.floor(train.rows / batch);
  let i = 0;
  return () => {
    model.trainBatch(train.x.subarray(i * batch * 784, (i + 1) * batch * 784), train.y.subarray(i * batch, (i + 1) * batch), opt as never);
    i = (i + 1) % batches;
  };
}
const ks = [await theirs.loadKernels({ simd, threads: 1 }), await theirs.loadKernels({ simd, threads }), await ours.loadKernels({ simd, threads: 1 }), await ours.loadKernels({ simd, threads })];
const t = timeInTurns(ks.map((k, j) => stepper(j < 2 ? theirs : ours, k as ours.Kernels)), { repMs: 250, reps: rounds, warmupMs: 500 });
const ms = t.map((x) => (x.seconds * 1e3).toFixed(2));
console.log(`${workload}, ms a step (median of ${rounds}, in turns): ` +
  `${against}: 1 thread ${ms[0]}, ${threads} ${ms[1]} (${(t[0]!.seconds / t[1]!.seconds).toFixed(2)}x) | ` +
  `this tree: 1 thread ${ms[2]}, ${threads} ${ms[3]} (${(t[2]!.seconds / t[3]!.seconds).toFixed(2)}x) | ` +
  `this tree against the other: ${(t[0]!.seconds / t[2]!.seconds).toFixed(2)}x on 1 thread, ${(t[1]!.seconds / t[3]!.seconds).toFixed(2)}x on ${threads}`);
for (const k of ks) k.dispose();
