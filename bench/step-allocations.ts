// `npx tsx bench/step-allocations.ts [--threads N]`: what a training step allocates on the JS heap,
// by V8's sampling heap profiler (every allocation, collected ones included, about one in 64 bytes
// sampled) over 2,000 steps each of an MLP with dropout (SGD momentum) and a small CNN (Adam),
// after 300 warm-up steps; bytes a step, and the functions that allocate most.
import { Session } from 'node:inspector/promises';
import { loadKernels, dense, conv2d, maxPool2d, flatten, dropout, SGD, Adam } from '../src/index.js';

const at = process.argv.indexOf('--threads');
const k = await loadKernels({ threads: at >= 0 ? Number(process.argv[at + 1]) : 1 });
const mlp = k.sequential({ inputSize: 100, layers: [dense(200, 'relu'), dropout(0.2), dense(10, 'softmax')], seed: 1 });
const cnn = k.sequential({ inputShape: [12, 12, 1], layers: [conv2d(4, 3, 'relu'), maxPool2d(2), flatten(), dense(10, 'softmax')], seed: 1 });
const sgd = new SGD({ learningRate: 0.01, momentum: 0.9 }), adam = new Adam();
const x = new Float32Array(64 * 100).fill(0.1), xc = new Float32Array(64 * 144).fill(0.1), y = new Int32Array(64);
const step = () => { mlp.trainBatch(x, y, sgd); cnn.trainBatch(xc, y, adam); };
for (let i = 0; i < 300; i++) step();

interface Node { callFrame: { functionName: string; url: string }; selfSize: number; children?: Node[] }
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 64, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as object);
const STEPS = 2000;
for (let i = 0; i < STEPS; i++) step();
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: Node } };
const bySite = new Map<string, number>();
const walk = (n: Node, path: string[]) => {
  const here = [...path, `${n.callFrame.functionName || '(anonymous)'} (${n.callFrame.url.split('/').slice(-2).join('/')})`];
  if (n.selfSize) bySite.set(here.slice(-2).join(' ← '), (bySite.get(here.slice(-2).join(' ← ')) ?? 0) + n.selfSize);
  for (const c of n.children ?? []) walk(c, here);
};
walk(profile.head, []);
let total = 0;
for (const v of bySite.values()) total += v;
console.log(`${k.features.threads} thread(s): about ${Math.round(total / STEPS / 2)} bytes a step (the mean of the two models)`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${Math.round(bytes / STEPS / 2).toString().padStart(5)}  ${site}`);
mlp.dispose(); cnn.dispose(); k.dispose();
