// The reader's second pass, and the whole of reading rows to predict: every field of a row turned
// into its features by a TableSchema (numbers as they are, categories one-hot, missing fields
// filled as in training or refused), the target into a class id or a value.
import { isMissing, isNumber, TableError, type TableSchema } from './table-types.js';

type Column = TableSchema['columns'][number];

export class TableEncoder {
  /** floats per row of x */
  readonly features: number;
  /** whether the rows carry the target (always when training; optional when predicting) */
  readonly hasTarget: boolean;
  private readonly at: number[];
  private readonly targetAt: number;
  private readonly slots: Array<Map<string, number> | null>;
  private readonly classId: Map<string, number> | null;
  private readonly numericClasses: boolean;
  private readonly fail: (row: number | null, column: string | null, problem: string) => never;

  /** `names`: this file's columns (its header, or '0', '1', … without one) */
  constructor(readonly schema: TableSchema, names: readonly string[], readonly file: string, targetRequired: boolean) {
    this.fail = (row, column, problem) => { throw new TableError(file, row, column, problem); };
    const trained = schema.names;
    const target = schema.target.name;
    let position: (name: string) => number;
    if (schema.header) {
      position = (n) => names.indexOf(n);
    } else if (names.length === trained.length || names.length === trained.length - 1) {
      // by position; a file one column narrower lacks the target, and the columns after it move left
      const withTarget = names.length === trained.length;
      const t = trained.indexOf(target);
      position = (n) => {
        const i = trained.indexOf(n);
        return withTarget || i < t ? i : i === t ? -1 : i - 1;
      };
    } else {
      throw new TableError(file, null, null, `${names.length} columns, expected ${trained.length} (the training file's, target included) or ${trained.length - 1} (without the target)`);
    }
    this.at = schema.columns.map((c) => {
      const i = position(c.name);
      if (i < 0) this.fail(null, c.name, `no such column, expected the training columns ${schema.columns.map((k) => `'${k.name}'`).join(', ')}`);
      return i;
    });
    this.targetAt = position(target);
    this.hasTarget = this.targetAt >= 0;
    if (targetRequired && !this.hasTarget) this.fail(null, target, 'no such target column');
    this.features = schema.columns.reduce((s, c) => s + c.features, 0);
    this.slots = schema.columns.map((c) => (c.categories ? new Map(c.categories.map((k, i) => [k, i])) : null));
    const classes = schema.target.classes;
    this.classId = classes ? new Map(classes.map((k, i) => [k, i])) : null;
    this.numericClasses = classes !== null && classes.every(isNumber);
  }

  /** writes the row's features to x[offset …] (x zeroed there: one-hot writes only its 1) */
  encode(record: readonly string[], row: number, x: Float32Array, offset: number): void {
    let o = offset;
    this.schema.columns.forEach((c, j) => {
      const raw = record[this.at[j]!]!;
      const v = isMissing(raw) ? this.fill(c, raw, row) : raw;
      const slot = this.slots[j]!;
      if (slot === null) {
        if (!isNumber(v)) this.fail(row, c.name, `text value '${v}' in a column that holds numbers, expected a number`);
        x[o] = Number(v);
      } else {
        const s = slot.get(v);
        if (s === undefined) {
          const known = c.categories!.length <= 20 ? c.categories!.map((k) => `'${k}'`).join(', ') : `${c.categories!.length} categories`;
          this.fail(row, c.name, `unknown category '${v}', expected one seen in training (${known})`);
        }
        x[o + s!] = 1;
      }
      o += c.features;
    });
  }

  /** the row's target: a class id (classification) or its value */
  target(record: readonly string[], row: number): number {
    const v = record[this.targetAt]!;
    const name = this.schema.target.name;
    if (isMissing(v)) this.fail(row, name, `missing target value '${v}', expected a value in every row`);
    if (this.classId === null) {
      if (!isNumber(v)) this.fail(row, name, `value '${v}' is not a number, expected numbers for regression`);
      return Number(v);
    }
    const id = this.classId.get(this.numericClasses && isNumber(v) ? String(Number(v)) : v);
    if (id === undefined) this.fail(row, name, `unknown class '${v}', expected one of the training classes`);
    return id!;
  }

  private fill(c: Column, raw: string, row: number): string {
    if (c.fill === null) this.fail(row, c.name, `missing value '${raw}', expected a value (or the option impute: 'mean' | 'mode')`);
    return String(c.fill);
  }
}
