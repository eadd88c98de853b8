// A CSV table as training data: numeric columns as one float feature each, text columns one-hot,
// and a target column as class ids or values. Node only, and not part of the library's main entry
// (it is the subpath `momentum-wasm/table`): parsing belongs to csv-parse (quotes, embedded commas
// and newlines, CRLF, a BOM); this file only reads records in two passes (table-scan.ts measures
// the columns, table-encode.ts fills x and y). Features are not standardised here: a model's
// normalization() layer does that, measured by model.adapt(x). A file is streamed twice, so a
// table of any size is read in memory about the size of its float32 features.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse, CsvError, type Options as CsvOptions } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { TableScan } from './table-scan.js';
import { TableEncoder } from './table-encode.js';
import { TableError, type Table, type TableOptions, type TableSchema } from './table-types.js';

export { TableError, MISSING_VALUES, MAX_INTEGER_CLASSES, MAX_CATEGORIES } from './table-types.js';
export type { Table, TableOptions, ColumnInfo, TableSchema } from './table-types.js';

/** rows read with a saved schema: features always, the target where the file has that column */
export interface Rows {
  x: Float32Array;
  /** class ids or values; null when the file has no target column */
  y: Float32Array | Int32Array | null;
  rows: number;
}

/** bytes of the file read so far, of its total (called at most every 64 KiB and at the end) */
export type ReadProgress = (pass: 'measure' | 'read', bytesRead: number, totalBytes: number) => void;

const csvOptions = (delimiter: string): CsvOptions => ({ delimiter, bom: true, trim: true, skip_empty_lines: true });

/** csv-parse's error as a TableError at the record it stopped at */
function csvError(e: unknown, file: string): unknown {
  if (!(e instanceof CsvError)) return e;
  // csv-parse counts the records (the header among them) before the one it stopped at
  const at = (e as CsvError & { records?: number }).records;
  const row = typeof at === 'number' ? at + 1 : null;
  const problem =
    e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
      ? `expected as many fields as the first row (${e.message})`
      : `not valid CSV (${e.message})`;
  return new TableError(file, row, null, problem);
}

/** every record of the text, parsed at once (small tables: text or bytes in memory) */
function records(source: string | Uint8Array, delimiter: string, file: string): string[][] {
  try {
    return parseSync(source, csvOptions(delimiter));
  } catch (e) {
    throw csvError(e, file);
  }
}

/** the header (or generated names) and the data rows with their spreadsheet row numbers */
function split(all: string[][], header: boolean, file: string): { names: string[]; data: string[][]; firstRow: number } {
  if (all.length === 0) throw new TableError(file, null, null, 'empty file, expected a header row and data rows');
  const width = all[0]!.length;
  const names = header ? all[0]! : Array.from({ length: width }, (_, i) => String(i));
  return { names, data: header ? all.slice(1) : all, firstRow: header ? 2 : 1 };
}

/** x and y for `rows` rows of a measured table, and the encoder that fills them */
function allocate(schema: TableSchema, names: string[], file: string, rows: number) {
  const enc = new TableEncoder(schema, names, file, true);
  const x = new Float32Array(rows * enc.features);
  const y = schema.target.task === 'classification' ? new Int32Array(rows) : new Float32Array(rows);
  return { enc, x, y };
}

function result(x: Float32Array, y: Float32Array | Int32Array, rows: number, detected: string, schema: TableSchema): Table {
  const columns = schema.columns.map(({ fill: _fill, ...c }) => c);
  return { x, y, rows, columns, classes: schema.target.classes, task: schema.target.task, detected, schema };
}

function checkOptions(options: TableOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('readTable: options must be an object with a target');
}

/** A table from CSV text or bytes held in memory. */
export function readTable(source: string | Uint8Array, options: TableOptions): Table {
  checkOptions(options);
  const file = options.file ?? 'table';
  const header = options.header ?? true;
  const { names, data, firstRow } = split(records(source, options.delimiter ?? ',', file), header, file);
  const scan = new TableScan(names, options, file);
  data.forEach((r, i) => scan.add(r, firstRow + i));
  const { schema, rows, detected } = scan.finish();
  const { enc, x, y } = allocate(schema, names, file, rows);
  data.forEach((r, i) => {
    enc.encode(r, firstRow + i, x, i * enc.features);
    y[i] = enc.target(r, firstRow + i);
  });
  return result(x, y, rows, detected, schema);
}

/** Streams the file's records: the header (or generated names) first, then (record, row). */
async function streamRecords(
  path: string, delimiter: string, header: boolean, file: string,
  onProgress: ((bytes: number, total: number) => void) | undefined,
  onNames: (names: string[]) => void, onRow: (record: string[], row: number) => void | Promise<void>,
): Promise<void> {
  const total = (await stat(path)).size;
  const input = createReadStream(path, { highWaterMark: 1 << 16 });
  let bytes = 0;
  input.on('data', (chunk) => { bytes += chunk.length; onProgress?.(bytes, total); });
  const parser = input.pipe(parse(csvOptions(delimiter)));
  input.on('error', (e) => parser.destroy(e));
  let n = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (n === 0) {
        onNames(header ? record : Array.from({ length: record.length }, (_, i) => String(i)));
        n++;
        if (header) continue;
      }
      await onRow(record, header ? n + 1 : n);
      n++;
    }
  } catch (e) {
    input.destroy();
    throw csvError(e, file);
  }
  if (n === 0) throw new TableError(file, null, null, 'empty file, expected a header row and data rows');
}

/** A table from a CSV file, streamed twice (once to measure the columns, once to fill x and y). */
export async function readTableFile(path: string, options: TableOptions & { onProgress?: ReadProgress }): Promise<Table> {
  checkOptions(options);
  const file = options.file ?? path;
  const header = options.header ?? true;
  const delimiter = options.delimiter ?? ',';
  let scan: TableScan | undefined;
  await streamRecords(path, delimiter, header, file, options.onProgress && ((b, t) => options.onProgress!('measure', b, t)),
    (names) => { scan = new TableScan(names, options, file); }, (r, row) => scan!.add(r, row));
  const { schema, rows, detected } = scan!.finish();
  let i = 0;
  const { enc, x, y } = allocate(schema, scan!.names, file, rows);
  await streamRecords(path, delimiter, header, file, options.onProgress && ((b, t) => options.onProgress!('read', b, t)), () => {}, (r, row) => {
    if (i >= rows) throw new TableError(file, row, null, 'the file grew while it was read');
    enc.encode(r, row, x, i * enc.features);
    y[i++] = enc.target(r, row);
  });
  if (i !== rows) throw new TableError(file, null, null, `the file changed while it was read (${rows} rows, then ${i})`);
  return result(x, y, rows, detected, schema);
}

/** Rows to predict (or to score, when the target column is there) read as a schema says. */
export function readRows(source: string | Uint8Array, schema: TableSchema, file = 'table'): Rows {
  const { names, data, firstRow } = split(records(source, schema.delimiter, file), schema.header, file);
  if (data.length === 0) throw new TableError(file, null, null, 'no data rows, expected at least one row after the header');
  const enc = new TableEncoder(schema, names, file, false);
  const x = new Float32Array(data.length * enc.features);
  const y = !enc.hasTarget ? null : schema.target.task === 'classification' ? new Int32Array(data.length) : new Float32Array(data.length);
  data.forEach((r, i) => {
    enc.encode(r, firstRow + i, x, i * enc.features);
    if (y) y[i] = enc.target(r, firstRow + i);
  });
  return { x, y, rows: data.length };
}

export interface RowsFileOptions {
  /** rows per chunk (default 4096) */
  chunkRows?: number;
  /** called for each chunk in file order; the arrays are reused for the next chunk */
  onChunk: (chunk: Rows, firstRow: number) => void | Promise<void>;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** a name for error messages (default: the path) */
  file?: string;
}

/** Streams a CSV file's rows, read as a schema says, in chunks: any length in constant memory. */
export async function readRowsFile(path: string, schema: TableSchema, options: RowsFileOptions): Promise<{ rows: number; hasTarget: boolean }> {
  const file = options.file ?? path;
  const chunkRows = options.chunkRows ?? 4096;
  let enc: TableEncoder | undefined;
  let x = new Float32Array(0), y: Float32Array | Int32Array | null = null;
  let n = 0, total = 0, first = 0;
  const flush = async () => {
    if (n === 0) return;
    const chunk: Rows = { x: x.subarray(0, n * enc!.features), y: y ? y.subarray(0, n) : null, rows: n };
    await options.onChunk(chunk, first);
    total += n;
    n = 0;
  };
  await streamRecords(path, schema.delimiter, schema.header, file, options.onProgress, (names) => {
    enc = new TableEncoder(schema, names, file, false);
    x = new Float32Array(chunkRows * enc.features);
    y = !enc.hasTarget ? null : schema.target.task === 'classification' ? new Int32Array(chunkRows) : new Float32Array(chunkRows);
  }, async (r, row) => {
    if (n === 0) { first = row; x.fill(0); }
    enc!.encode(r, row, x, n * enc!.features);
    if (y) y[n] = enc!.target(r, row);
    if (++n === chunkRows) await flush();
  });
  await flush();
  if (total === 0) throw new TableError(file, null, null, `no data rows, expected at least one row${schema.header ? ' after the header' : ''}`);
  return { rows: total, hasTarget: enc?.hasTarget ?? false };
}
export { parseTableSchema } from './table-schema.js';
