// `momentum-wasm predict model.safetensors data.csv --out predictions.csv` for a model trained from a
// table: rows are read (streamed, in chunks) with the schema saved in the model file, and each gets
// its predicted class and that class's probability, or its value. The output file is written to a
// temporary file and renamed, so a failure leaves no half-written file. When the file also has the
// target column, the score is printed beside the training baseline.
import { stringify } from 'csv-stringify/sync';
import type { Sequential } from '../index.js';
import { readRowsFile } from '../io/table.js';
import { parseTableSchema } from '../io/table-schema.js';
import { AtomicWriter } from './atomic-file.js';
import { ProgressLine, megabytes } from './progress.js';
import { TABLE_METADATA } from './table-train.js';
import { argmaxRows, classScore, formatClassScore, formatPerClass, formatRegressionScore, regressionScore } from './table-metrics.js';

export async function predictTable(model: Sequential, metadata: Record<string, string>, modelFile: string, input: string, out: string | undefined): Promise<void> {
  const schema = parseTableSchema(metadata[TABLE_METADATA.schema]!, modelFile);
  const baseline = JSON.parse(metadata[TABLE_METADATA.baseline] ?? '{}') as { majorityClass?: string; mean?: number };
  const classes = schema.target.classes;
  const name = schema.target.name;
  const writer = out === undefined ? null : new AtomicWriter(out);
  const emit = async (text: string) => { if (writer) await writer.write(text); else process.stdout.write(text); };
  const progress = new ProgressLine();
  const predicted: number[] = [], truth: number[] = [];
  try {
    await emit(stringify([classes ? [`predicted_${name}`, 'probability'] : [`predicted_${name}`]], { delimiter: schema.delimiter }));
    const { rows, hasTarget } = await readRowsFile(input, schema, {
      onProgress: (done, total) => progress.bar(`predicting ${input}`, done, total, `${megabytes(done)} / ${megabytes(total)}`),
      onChunk: async (chunk) => {
        const p = model.predict(chunk.x);
        const lines: Array<Array<string | number>> = [];
        if (classes) {
          const best = argmaxRows(p, classes.length);
          best.forEach((c, r) => {
            lines.push([classes[c]!, +p[r * classes.length + c]!.toPrecision(6)]);
            predicted.push(c);
          });
        } else {
          for (const v of p) { lines.push([+v.toPrecision(7)]); predicted.push(v); }
        }
        if (chunk.y) for (const v of chunk.y) truth.push(v);
        await emit(stringify(lines, { delimiter: schema.delimiter }));
      },
    });
    progress.clear();
    await writer?.commit();
    const where = writer ? ` to ${out}` : '';
    // with no --out the predictions are standard output: the report goes to standard error
    const say = writer ? console.log : console.error;
    say(`predicted ${rows.toLocaleString('en-US')} rows of ${input}${where}`);
    if (hasTarget) {
      if (classes) {
        const s = classScore(predicted, truth, classes);
        const id = Math.max(0, classes.indexOf(baseline.majorityClass ?? ''));
        const b = classScore(new Array<number>(truth.length).fill(id), truth, classes);
        say(`target '${name}' is in the file: ${formatClassScore(s, b)}\nper class (right/rows): ${formatPerClass(s)}`);
      } else {
        const b = regressionScore(new Array<number>(truth.length).fill(baseline.mean ?? 0), truth);
        say(`target '${name}' is in the file: ${formatRegressionScore(regressionScore(predicted, truth), b)}`);
      }
    }
  } catch (e) {
    progress.clear();
    await writer?.abort();
    throw e;
  }
}
