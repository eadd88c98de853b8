// What a CSV table means once read: the types shared by the reader's two passes (table-scan.ts
// measures the columns, table-encode.ts turns rows into features), the error they throw, and the
// rules that decide what counts as a number or a missing value.

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

/** Everything needed to read more rows the way the training rows were read (the CLI saves it in
 *  the model file): where each column is, what it holds, and what fills a missing value. */
export interface TableSchema {
  /** every column name of the training file, in file order ('0', '1', … without a header) */
  names: string[];
  header: boolean;
  delimiter: string;
  target: { name: string; task: 'classification' | 'regression'; classes: string[] | null };
  /** the feature columns in the order of x, with the value that fills a missing field (null: none,
   *  a missing value is an error) */
  columns: Array<ColumnInfo & { fill: number | string | null }>;
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
  /** how to read further rows (a validation file, rows to predict) the same way */
  schema: TableSchema;
}

/** The fields that count as missing, after trimming whitespace (exact, case-sensitive). */
export const MISSING_VALUES: readonly string[] = ['', 'NA', 'NaN', '?'];

/** A target with at most this many distinct integer values is taken as class labels. */
export const MAX_INTEGER_CLASSES = 10;

/** A text column (or target) with more distinct values than this is refused: one-hot encoding it
 *  would make more features than a small network can use (an id or a free-text column: drop it). */
export const MAX_CATEGORIES = 1000;

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
export const isMissing = (v: string): boolean => MISSING_VALUES.includes(v);
export const isNumber = (v: string): boolean => NUMBER.test(v) && Number.isFinite(Number(v));
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
