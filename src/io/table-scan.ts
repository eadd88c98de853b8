// The reader's first pass: one row at a time, it learns what each column holds (numbers or text,
// which categories, how many missing, the sums for a mean) and what the target is, keeping only
// counts, so a file of any length is measured in memory that does not grow with it. finish()
// turns that into a TableSchema; table-encode.ts then reads the rows again into floats.
import {
  byCodeUnit, isMissing, isNumber, MAX_CATEGORIES, MAX_INTEGER_CLASSES, TableError,
  type TableOptions, type TableSchema,
} from './table-types.js';

interface ColumnStats {
  index: number;
  name: string;
  present: number;
  sum: number;
  /** the first field that is not a number (the column is then text), with its row */
  firstText: { row: number; value: string } | null;
  /** distinct values and their counts; null once there are more than MAX_CATEGORIES */
  counts: Map<string, number> | null;
}

export interface Scanned {
  schema: TableSchema;
  rows: number;
  detected: string;
}

/** counts v in m unless m has overflowed (null); returns the map, or null once it holds too many */
function count(m: Map<string, number> | null, v: string): Map<string, number> | null {
  if (m === null) return null;
  m.set(v, (m.get(v) ?? 0) + 1);
  return m.size > MAX_CATEGORIES ? null : m;
}

export class TableScan {
  private readonly fail: (row: number | null, column: string | null, problem: string) => never;
  private readonly target: number;
  private readonly columns: ColumnStats[] = [];
  private rows = 0;
  // the target: whether every value so far is a number, an integer; its distinct values
  private numericTarget = true;
  private integerTarget = true;
  private firstTextTarget: { row: number; value: string } | null = null;
  private targetText: Map<string, number> | null = new Map();
  private targetNumbers: Map<string, number> | null = new Map();

  constructor(readonly names: string[], private readonly options: TableOptions, readonly file: string) {
    this.fail = (row, column, problem) => { throw new TableError(file, row, column, problem); };
    const header = options.header ?? true;
    const width = names.length;
    if (header) {
      const seen = new Set<string>();
      for (const n of names) {
        if (seen.has(n)) this.fail(1, n, 'a second column of this name, expected distinct column names');
        seen.add(n);
      }
    }
    const columnIndex = (ref: string | number, what: string): number => {
      if (typeof ref === 'number') {
        if (!Number.isInteger(ref) || ref < 0 || ref >= width) {
          this.fail(null, String(ref), `no such ${what} column, expected an index 0..${width - 1}`);
        }
        return ref;
      }
      if (!header) this.fail(null, ref, `${what} column named without a header row, expected a 0-based index`);
      const i = names.indexOf(ref);
      if (i < 0) this.fail(null, ref, `no such ${what} column, expected one of ${names.map((n) => `'${n}'`).join(', ')}`);
      return i;
    };
    this.target = columnIndex(options.target, 'target');
    const dropped = new Set((options.drop ?? []).map((d) => columnIndex(d, 'drop')));
    if (dropped.has(this.target)) this.fail(null, names[this.target]!, 'the target is among the dropped columns');
    for (let c = 0; c < width; c++) {
      if (c === this.target || dropped.has(c)) continue;
      this.columns.push({ index: c, name: names[c]!, present: 0, sum: 0, firstText: null, counts: new Map() });
    }
  }

  /** one data row; `row` is its number as a spreadsheet shows it (the header is row 1) */
  add(record: readonly string[], row: number): void {
    this.rows++;
    const t = record[this.target]!;
    const targetName = this.names[this.target]!;
    if (isMissing(t)) this.fail(row, targetName, `missing target value '${t}', expected a value in every row`);
    if (this.numericTarget && isNumber(t)) {
      const n = Number(t);
      if (!Number.isInteger(n)) this.integerTarget = false;
      this.targetNumbers = count(this.targetNumbers, String(n));
    } else if (this.numericTarget) {
      this.numericTarget = false;
      this.firstTextTarget = { row, value: t };
    }
    this.targetText = count(this.targetText, t);
    for (const c of this.columns) {
      const v = record[c.index]!;
      if (isMissing(v)) {
        if (this.options.impute === undefined) {
          this.fail(row, c.name, `missing value '${v}', expected a value (or the option impute: 'mean' | 'mode')`);
        }
        continue;
      }
      c.present++;
      if (c.firstText === null) {
        if (isNumber(v)) c.sum += Number(v);
        else c.firstText = { row, value: v };
      }
      c.counts = count(c.counts, v);
      if (c.counts === null && c.firstText !== null) {
        this.fail(
          row, c.name,
          `more than ${MAX_CATEGORIES} distinct values, text among them ('${c.firstText.value}' in row ${c.firstText.row}): ` +
            `expected numbers only, or at most ${MAX_CATEGORIES} categories (leave the column out with drop)`,
        );
      }
    }
  }

  finish(): Scanned {
    const header = this.options.header ?? true;
    if (this.rows === 0) this.fail(null, null, `no data rows, expected at least one row${header ? ' after the header' : ''}`);
    const targetName = this.names[this.target]!;
    const { task, detected } = this.task(targetName);
    let classes: string[] | null = null;
    if (task === 'classification') {
      const distinct = this.numericTarget ? this.targetNumbers : this.targetText;
      if (distinct === null) this.fail(null, targetName, `more than ${MAX_CATEGORIES} classes, expected fewer (is it a regression target? say task 'regression')`);
      const keys = [...distinct!.keys()];
      classes = this.numericTarget ? keys.sort((a, b) => Number(a) - Number(b)) : keys.sort(byCodeUnit);
      if (classes.length < 2) this.fail(null, targetName, `one class ('${classes[0]}'), expected at least two`);
    }
    const columns = this.columns.map((c) => {
      if (c.present === 0) this.fail(null, c.name, 'no values at all, expected at least one to impute from');
      if (c.firstText === null) {
        const fill = this.options.impute === undefined ? null : this.options.impute === 'mean' ? c.sum / c.present : this.mode(c, true);
        return { name: c.name, kind: 'numeric' as const, features: 1, fill };
      }
      // a column with text in it is one-hot, each distinct spelling a category
      const categories = [...c.counts!.keys()].sort(byCodeUnit);
      const fill = this.options.impute === undefined ? null : this.mode(c, false);
      return { name: c.name, kind: 'categorical' as const, categories, features: categories.length, fill };
    });
    const schema: TableSchema = {
      names: this.names.slice(),
      header,
      delimiter: this.options.delimiter ?? ',',
      target: { name: targetName, task, classes },
      columns,
    };
    return { schema, rows: this.rows, detected };
  }

  private task(targetName: string): { task: 'classification' | 'regression'; detected: string } {
    const given = this.options.task;
    if (given !== undefined) {
      if (given === 'regression' && !this.numericTarget) {
        const { row, value } = this.firstTextTarget!;
        this.fail(row, targetName, `value '${value}' is not a number, expected numbers for regression`);
      }
      return { task: given, detected: `task '${given}' was given in the options.` };
    }
    if (!this.numericTarget) {
      const n = this.targetText === null ? `more than ${MAX_CATEGORIES}` : String(this.targetText.size);
      return { task: 'classification', detected: `classification: target '${targetName}' is not numeric (${n} distinct values).` };
    }
    const distinct = this.targetNumbers === null ? Infinity : this.targetNumbers.size;
    if (this.integerTarget && distinct <= MAX_INTEGER_CLASSES) {
      return {
        task: 'classification',
        detected: `classification: target '${targetName}' has ${distinct} distinct integer values, at most ${MAX_INTEGER_CLASSES}.`,
      };
    }
    const n = distinct === Infinity ? `more than ${MAX_CATEGORIES}` : String(distinct);
    return {
      task: 'regression',
      detected:
        `regression: target '${targetName}' is numeric and not at most ${MAX_INTEGER_CLASSES} distinct integer values ` +
        `(${n} distinct${this.integerTarget ? '' : ', not all integers'}).`,
    };
  }

  /** the most frequent value (ties: the smallest number, or the first text in sorted order) */
  private mode(c: ColumnStats, numeric: boolean): number | string {
    if (c.counts === null) {
      this.fail(null, c.name, `more than ${MAX_CATEGORIES} distinct values, so no useful mode to impute; expected impute 'mean' for this column`);
    }
    if (numeric) {
      // '1.0' and '1' are one number
      const byValue = new Map<number, number>();
      for (const [k, n] of c.counts!) byValue.set(Number(k), (byValue.get(Number(k)) ?? 0) + n);
      const keys = [...byValue.keys()].sort((a, b) => a - b);
      let best = keys[0]!;
      for (const k of keys) if (byValue.get(k)! > byValue.get(best)!) best = k;
      return best;
    }
    const keys = [...c.counts!.keys()].sort(byCodeUnit);
    let best = keys[0]!;
    for (const k of keys) if (c.counts!.get(k)! > c.counts!.get(best)!) best = k;
    return best;
  }
}
