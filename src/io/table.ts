// A CSV table as training data: numeric columns as one float feature each, text columns one-hot,
// and a target column as class ids or values. Node only, and not part of the library's main entry
// (it is the subpath `momentum-wasm/table`): parsing belongs to csv-parse (quotes, embedded commas
// and newlines, CRLF, a BOM); this file only decides what each column means. Features are not
// standardised here: a model's normalization() layer does that, measured by model.adapt(x).
import { parse, CsvError } from 'csv-parse/sync';

export interface TableOptions {
  /** the column to predict: its header name, or its 0-based index (the only form with header: false) */
  target: string | number;
  /** whether the first row names the columns (default true); without it they are '0', '1', … */
  header?: boolean;
  /** the field delimiter (default ',') */
  delimiter?: string;
  /** columns to leave out, by name or 0-based index */
  drop?: Array<string | number>;
  /** default: detected (see `Table.detected`) */
  task?: 'classification' | 'regression';
  /** fill missing feature values with the column's mean (numeric) or mode (categorical);
   *  default: none, and a missing value is an error. A missing target is always an error. */
  impute?: 'mean' | 'mode';
  /** a name for error messages (default 'table') */
  file?: string;
}

export interface ColumnInfo {
  name: string;
  kind: 'numeric' | 'categorical';
  /** the one-hot order, sorted (categorical columns only) */
  categories?: string[];
  /** how many features of x it fills: 1 for numeric, categories.length for categorical */
  features: number;
}

export interface Table {
  /** rows × features, row-major, features in column order (one-hot columns expanded in place) */
  x: Float32Array;
  /** class ids into `classes` (classification) or target values (regression) */
  y: Float32Array | Int32Array;
  rows: number;
  /** the feature columns, in the order of x (neither the target nor dropped columns) */
  columns: ColumnInfo[];
  /** the class names, sorted (numerically when they are numbers); null for regression */
  classes: string[] | null;
  task: 'classification' | 'regression';
  /** one sentence saying why `task` was chosen */
  detected: string;
}

/** The fields that count as missing, after trimming whitespace (exact, case-sensitive). */
export const MISSING_VALUES: readonly string[] = ['', 'NA', 'NaN', '?'];

/** A target with at most this many distinct integer values is taken as class labels. */
export const MAX_INTEGER_CLASSES = 10;

/** The table cannot be used as given. `row` counts as a spreadsheet does (the header is row 1);
 *  `row` and `column` are null when the problem is not at one row or column. */
export class TableError extends Error {
  readonly file: string;
  readonly row: number | null;
  readonly column: string | null;
  constructor(file: string, row: number | null, column: string | null, problem: string) {
    const where = [row === null ? '' : `row ${row}`, column === null ? '' : `column '${column}'`].filter(Boolean);
    super(`${file}${where.length > 0 ? `, ${where.join(', ')}` : ''}: ${problem}`);
    this.name = 'TableError';
    this.file = file;
    this.row = row;
    this.column = column;
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const isMissing = (v: string): boolean => MISSING_VALUES.includes(v);
const isNumber = (v: string): boolean => NUMBER.test(v) && Number.isFinite(Number(v));
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function readTable(source: string | Uint8Array, options: TableOptions): Table {
  const file = options.file ?? 'table';
  const header = options.header ?? true;
  const fail = (row: number | null, column: string | null, problem: string): never => {
    throw new TableError(file, row, column, problem);
  };

  let records: string[][];
  try {
    records = parse(source, { delimiter: options.delimiter ?? ',', bom: true, trim: true, skip_empty_lines: true });
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    // csv-parse counts records (the header among them) before the one it stopped at
    const at = (e as CsvError & { records?: number }).records;
    const row = typeof at === 'number' ? at + 1 : null;
    const problem =
      e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
        ? `expected as many fields as the first row (${e.message})`
        : `not valid CSV (${e.message})`;
    return fail(row, null, problem);
  }
  if (records.length === 0) return fail(null, null, 'empty file, expected a header row and data rows');
  const width = records[0]!.length;
  const names = header ? records[0]! : Array.from({ length: width }, (_, i) => String(i));
  const data = header ? records.slice(1) : records;
  const firstRow = header ? 2 : 1;
  if (data.length === 0) return fail(null, null, 'no data rows, expected at least one row after the header');
  if (header) {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) fail(1, n, 'a second column of this name, expected distinct column names');
      seen.add(n);
    }
  }

  const columnIndex = (ref: string | number, what: string): number => {
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref) || ref < 0 || ref >= width) {
        fail(null, String(ref), `no such ${what} column, expected an index 0..${width - 1}`);
      }
      return ref;
    }
    if (!header) fail(null, ref, `${what} column named without a header row, expected a 0-based index`);
    const i = names.indexOf(ref);
    if (i < 0) fail(null, ref, `no such ${what} column, expected one of ${names.map((n) => `'${n}'`).join(', ')}`);
    return i;
  };
  const target = columnIndex(options.target, 'target');
  const dropped = new Set((options.drop ?? []).map((d) => columnIndex(d, 'drop')));
  if (dropped.has(target)) fail(null, names[target]!, 'the target is among the dropped columns');

  // the target: every value present, then classes or numbers
  const targetName = names[target]!;
  const targetValues = data.map((r, i) => {
    const v = r[target]!;
    if (isMissing(v)) fail(firstRow + i, targetName, `missing target value '${v}', expected a value in every row`);
    return v;
  });
  const numericTarget = targetValues.every(isNumber);
  const distinct = new Set(numericTarget ? targetValues.map((v) => String(Number(v))) : targetValues);
  const integerTarget = numericTarget && targetValues.every((v) => Number.isInteger(Number(v)));
  let task: Table['task'];
  let detected: string;
  if (options.task !== undefined) {
    task = options.task;
    detected = `task '${task}' was given in the options.`;
    if (task === 'regression' && !numericTarget) {
      const i = targetValues.findIndex((v) => !isNumber(v));
      fail(firstRow + i, targetName, `value '${targetValues[i]}' is not a number, expected numbers for regression`);
    }
  } else if (!numericTarget) {
    task = 'classification';
    detected = `classification: target '${targetName}' is not numeric (${distinct.size} distinct values).`;
  } else if (integerTarget && distinct.size <= MAX_INTEGER_CLASSES) {
    task = 'classification';
    detected =
      `classification: target '${targetName}' has ${distinct.size} distinct integer values, ` +
      `at most ${MAX_INTEGER_CLASSES}.`;
  } else {
    task = 'regression';
    detected =
      `regression: target '${targetName}' is numeric and not at most ${MAX_INTEGER_CLASSES} distinct integer values ` +
      `(${distinct.size} distinct${integerTarget ? '' : ', not all integers'}).`;
  }

  let y: Float32Array | Int32Array;
  let classes: string[] | null = null;
  if (task === 'classification') {
    classes = numericTarget ? [...distinct].sort((a, b) => Number(a) - Number(b)) : [...distinct].sort(byCodeUnit);
    if (classes.length < 2) fail(null, targetName, `one class ('${classes[0]}'), expected at least two`);
    const id = new Map(classes.map((c, i) => [c, i]));
    y = Int32Array.from(targetValues, (v) => id.get(numericTarget ? String(Number(v)) : v)!);
  } else {
    y = Float32Array.from(targetValues, Number);
  }

  // the features: numeric when every present value is a number, else one-hot
  const features: Array<{ index: number; info: ColumnInfo; fill: string; slot: Map<string, number> | null }> = [];
  for (let c = 0; c < width; c++) {
    if (c === target || dropped.has(c)) continue;
    const name = names[c]!;
    const present = data.map((r) => r[c]!).filter((v) => !isMissing(v));
    if (present.length < data.length && options.impute === undefined) {
      const i = data.findIndex((r) => isMissing(r[c]!));
      fail(firstRow + i, name, `missing value '${data[i]![c]}', expected a value (or the option impute: 'mean' | 'mode')`);
    }
    if (present.length === 0) fail(null, name, 'no values at all, expected at least one to impute from');
    if (present.every(isNumber)) {
      const mean = present.reduce((s, v) => s + Number(v), 0) / present.length;
      features.push({ index: c, info: { name, kind: 'numeric', features: 1 }, fill: String(mean), slot: null });
    } else {
      const counts = new Map<string, number>();
      for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
      const categories = [...counts.keys()].sort(byCodeUnit);
      let mode = categories[0]!; // ties go to the first in sorted order
      for (const k of categories) if (counts.get(k)! > counts.get(mode)!) mode = k;
      const slot = new Map(categories.map((k, i) => [k, i]));
      features.push({ index: c, info: { name, kind: 'categorical', categories, features: categories.length }, fill: mode, slot });
    }
  }

  const rows = data.length;
  const perRow = features.reduce((s, f) => s + f.info.features, 0);
  const x = new Float32Array(rows * perRow);
  for (let r = 0; r < rows; r++) {
    let o = r * perRow;
    for (const f of features) {
      const raw = data[r]![f.index]!;
      const v = isMissing(raw) ? f.fill : raw;
      if (f.slot === null) x[o] = Number(v);
      else x[o + f.slot.get(v)!] = 1;
      o += f.info.features;
    }
  }
  return { x, y, rows, columns: features.map((f) => f.info), classes, task, detected };
}
