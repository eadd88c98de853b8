// `momentum-wasm train data.csv --target column`: a CSV file in, a trained model file out. The table
// is streamed in (table.ts); numeric features are standardised by the model's own normalization()
// layer, adapted on the training split; each epoch prints the validation score beside what a model
// that learned nothing would score. The file keeps the table's schema, so `predict` reads new rows
// the same way.
import { parseArgs } from 'node:util';
import { dense, normalization, SGD, type Kernels, type LayerSpec, type Sequential } from '../index.js';
import { readTableFile, type Table } from '../io/table.js';
import { Rng } from '../util/rng.js';
import { numberFlag } from './number-flag.js';
import { UsageError } from './usage-error.js';
import { ProgressLine, megabytes } from './progress.js';
import { writeFileAtomic } from './atomic-file.js';
import { threadsFlag } from './kernels.js';
import {
  argmaxRows, classScore, formatClassScore, formatPerClass, formatRegressionScore, majorityClass, mean, regressionScore,
} from './table-metrics.js';

/** the __metadata__ keys of a model trained from a table */
export const TABLE_METADATA = { schema: 'table', baseline: 'table_baseline', target: 'table_target_scale' } as const;

export const TABLE_DEFAULTS = { hidden: [64, 32], epochs: 30, lr: 0.01, momentum: 0.9, batchSize: 32, seed: 1, validationSplit: 0.2 } as const;

export const TABLE_HELP = `Options for train FILE.csv:
  --target C            the column to predict: its name (or its 0-based index with --no-header); required
  --task T              classification | regression (default: detected; a target that is not numeric, or
                        numeric with at most 10 distinct integer values, is classification)
  --no-header           the first row is data; columns are 0, 1, …
  --delimiter D         field delimiter (default ,)
  --drop A,B            leave these columns out (names, or indices with --no-header)
  --impute M            fill missing feature values: mean (numbers: the mean; text: the most frequent)
                        or mode (the most frequent value); default: a missing value is an error
  --hidden 64,32        hidden layer sizes, relu (default ${TABLE_DEFAULTS.hidden.join(',')}; none for a linear model)
  --epochs N            (default ${TABLE_DEFAULTS.epochs})
  --lr X                learning rate (default ${TABLE_DEFAULTS.lr})
  --momentum X          momentum beta in [0, 1) (default ${TABLE_DEFAULTS.momentum})
  --nesterov            Nesterov momentum
  --batch-size N        (default ${TABLE_DEFAULTS.batchSize})
  --seed N              seed of the weights, the split and the shuffling (default ${TABLE_DEFAULTS.seed})
  --validation-split F  the fraction of rows held out for validation, in [0, 1) (default ${TABLE_DEFAULTS.validationSplit})
  --save FILE           write the model (safetensors, with the table's columns, categories and classes)
  --simd MODE           auto | plain | relaxed (default auto)
  --threads N           threads: a count or auto (default: every core)
`;

function parseHidden(v: string | undefined): number[] {
  if (v === undefined) return [...TABLE_DEFAULTS.hidden];
  if (v === 'none' || v === '') return [];
  return v.split(',').map((s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isInteger(n) || n < 1) throw new UsageError(`--hidden: expected layer sizes like 64,32 (positive integers) or none, got '${v}'`);
    return n;
  });
}

function flag(name: string, v: string | undefined, fallback: number, ok: (n: number) => boolean, expected: string): number {
  return numberFlag(`--${name}`, v, ok, expected) ?? fallback;
}

/** Fisher–Yates on whole rows of x and y, in place: no second copy of a large table */
function shuffleRows(t: Table, seed: number): void {
  const rng = new Rng(seed ^ 0x5f3759df);
  const f = t.x.length / t.rows;
  const tmp = new Float32Array(f);
  for (let i = t.rows - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    if (j === i) continue;
    tmp.set(t.x.subarray(i * f, i * f + f));
    t.x.copyWithin(i * f, j * f, j * f + f);
    t.x.set(tmp, j * f);
    const y = t.y[i]!;
    t.y[i] = t.y[j]!;
    t.y[j] = y;
  }
}

export async function trainTable(file: string, args: string[], loadK: (simd: 'auto' | 'plain' | 'relaxed', threads?: number | 'auto') => Promise<Kernels>): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: 'string' }, task: { type: 'string' }, 'no-header': { type: 'boolean' }, delimiter: { type: 'string' },
      drop: { type: 'string' }, impute: { type: 'string' }, hidden: { type: 'string' }, epochs: { type: 'string' },
      lr: { type: 'string' }, momentum: { type: 'string' }, nesterov: { type: 'boolean' }, 'batch-size': { type: 'string' },
      seed: { type: 'string' }, 'validation-split': { type: 'string' }, save: { type: 'string' }, simd: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  const header = !values['no-header'];
  if (values.target === undefined) throw new UsageError(`train ${file}: --target is required (the column to predict)`);
  const ref = (s: string, what: string): string | number => {
    if (header) return s;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${what}: with --no-header, expected 0-based column indices, got '${s}'`);
    return n;
  };
  const target = ref(values.target, '--target');
  const drop = values.drop === undefined ? [] : values.drop.split(',').map((s) => ref(s.trim(), '--drop'));
  const task = values.task;
  if (task !== undefined && task !== 'classification' && task !== 'regression') throw new UsageError(`--task: expected classification or regression, got '${task}'`);
  const impute = values.impute;
  if (impute !== undefined && impute !== 'mean' && impute !== 'mode') throw new UsageError(`--impute: expected mean or mode, got '${impute}'`);
  const hidden = parseHidden(values.hidden);
  const epochs = flag('epochs', values.epochs, TABLE_DEFAULTS.epochs, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
  const lr = flag('lr', values.lr, TABLE_DEFAULTS.lr, (n) => n > 0, 'a positive number');
  const momentum = flag('momentum', values.momentum, TABLE_DEFAULTS.momentum, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  const batchSize = flag('batch-size', values['batch-size'], TABLE_DEFAULTS.batchSize, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
  const seed = flag('seed', values.seed, TABLE_DEFAULTS.seed, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer in [0, 2^32)');
  const split = flag('validation-split', values['validation-split'], TABLE_DEFAULTS.validationSplit, (n) => n >= 0 && n < 1, 'a fraction in [0, 1)');
  const simd = values.simd ?? 'auto';
  if (simd !== 'auto' && simd !== 'plain' && simd !== 'relaxed') throw new UsageError(`--simd: expected auto, plain or relaxed, got '${simd}'`);

  // read
  const progress = new ProgressLine();
  const t0 = performance.now();
  const table = await readTableFile(file, {
    target, header, delimiter: values.delimiter, drop, task: task as Table['task'] | undefined, impute: impute as 'mean' | 'mode' | undefined,
    onProgress: (pass, done, total) => progress.bar(`reading ${file} (${pass === 'measure' ? '1' : '2'}/2)`, done, total, `${megabytes(done)} / ${megabytes(total)}`),
  });
  progress.clear();
  const features = table.x.length / table.rows;
  const numeric = table.columns.filter((c) => c.kind === 'numeric');
  const text = table.columns.filter((c) => c.kind === 'categorical');
  console.log(`${file}: ${table.rows.toLocaleString('en-US')} rows read in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`task: ${table.detected}`);
  if (table.classes) console.log(`classes: ${table.classes.map((c) => `'${c}'`).join(', ')}`);
  console.log(
    `features: ${features} from ${table.columns.length} columns` +
      (numeric.length ? `; numeric (standardised): ${numeric.map((c) => c.name).join(', ')}` : '') +
      (text.length ? `; one-hot: ${text.map((c) => `${c.name} (${c.features} categories)`).join(', ')}` : ''),
  );

  // split: shuffled, then the last rows held out
  shuffleRows(table, seed);
  const valRows = Math.round(table.rows * split);
  const trainRows = table.rows - valRows;
  if (split > 0 && valRows === 0) throw new UsageError(`--validation-split ${split}: holds out no row of ${table.rows}; use a larger fraction or 0`);
  if (trainRows < 1) throw new UsageError(`--validation-split ${split}: leaves no training row of ${table.rows}`);
  const xTrain = table.x.subarray(0, trainRows * features), yTrain = table.y.subarray(0, trainRows);
  const xVal = table.x.subarray(trainRows * features), yVal = table.y.subarray(trainRows);
  // scored on the validation rows, or on the training rows when none are held out
  const [xScore, yScore, scoredOn] = valRows > 0 ? [xVal, yVal, 'validation'] as const : [xTrain, yTrain, 'training'] as const;

  const classes = table.classes;
  // a regression is trained on a standardised target, then the scale is folded into the last layer
  const yMean = classes ? 0 : mean(yTrain);
  let ySd = 1;
  if (!classes) {
    let ss = 0;
    for (let i = 0; i < yTrain.length; i++) ss += (yTrain[i]! - yMean) ** 2;
    ySd = Math.sqrt(ss / yTrain.length) || 1;
  }
  const yFit = classes ? yTrain : Float32Array.from(yTrain, (v) => (v - yMean) / ySd);

  const k = await loadK(simd, threadsFlag(values.threads));
  const layers: LayerSpec[] = [normalization(), ...hidden.map((h) => dense(h, 'relu')), dense(classes ? classes.length : 1, classes ? 'softmax' : 'linear')];
  const model = k.sequential({ inputSize: features, layers, seed });
  try {
    model.adapt(xTrain);
    const optimizer = new SGD({ learningRate: lr, momentum, nesterov: values.nesterov ?? false });
    console.log(
      `model: ${features} → normalization → ${[...hidden.map((h) => `dense ${h} relu`), classes ? `dense ${classes.length} softmax` : 'dense 1 linear'].join(' → ')}; ` +
        `SGD lr ${lr} momentum ${momentum}${values.nesterov ? ' nesterov' : ''}, batch ${batchSize}, ` +
        `${trainRows.toLocaleString('en-US')} training / ${valRows.toLocaleString('en-US')} validation rows`,
    );

    const baselineClass = classes ? majorityClass(yTrain, classes.length) : 0;
    const score = (m: Sequential) => {
      const out = m.predict(xScore);
      if (classes) {
        const s = classScore(argmaxRows(out, classes.length), yScore, classes);
        const b = classScore(new Int32Array(yScore.length).fill(baselineClass), yScore, classes);
        return `${scoredOn} ${formatClassScore(s, b)}${classes.length <= 10 ? `  per class (right/rows): ${formatPerClass(s)}` : ''}`;
      }
      const s = regressionScore(out.map((v) => v * ySd + yMean), yScore);
      const b = regressionScore(new Float32Array(yScore.length).fill(yMean), yScore);
      return `${scoredOn} ${formatRegressionScore(s, b)}`;
    };
    const tStart = performance.now();
    await model.fit(xTrain, yFit, {
      epochs, batchSize, optimizer,
      onBatchEnd: ({ epoch, batch, batches, loss }) => progress.bar(`epoch ${epoch}/${epochs}`, batch, batches, `${batch}/${batches} loss ${loss.toFixed(4)}`),
      onEpochEnd: (epoch, logs) => {
        progress.clear();
        console.log(`epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}  loss ${logs.loss.toFixed(4)}  ${score(model)}`);
      },
    });
    console.log(`trained in ${((performance.now() - tStart) / 1000).toFixed(2)} s`);
    if (!classes) foldTargetScale(model, yMean, ySd);
    if (values.save !== undefined) {
      const metadata = {
        [TABLE_METADATA.schema]: JSON.stringify(table.schema),
        [TABLE_METADATA.baseline]: JSON.stringify(classes ? { majorityClass: classes[baselineClass] } : { mean: yMean }),
      };
      await writeFileAtomic(values.save, model.save({ metadata }));
      console.log(`saved the model to ${values.save} (predict with: momentum-wasm predict ${values.save} FILE.csv --out predictions.csv)`);
    }
  } finally {
    model.dispose();
  }
}

/** the last dense layer now predicts the target in its own units: w·sd, b·sd + mean */
function foldTargetScale(model: Sequential, yMean: number, ySd: number): void {
  const w = model.getWeights();
  const kernel = w[w.length - 2]!, bias = w[w.length - 1]!;
  kernel.values = kernel.values.map((v) => v * ySd);
  bias.values = bias.values.map((v) => v * ySd + yMean);
  model.setWeights(w);
}
