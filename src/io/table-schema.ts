// A TableSchema read back from a model file: checked field by field, since a file may come from
// anywhere, so that a damaged one fails here with its field named rather than deep in a read.
import { TableError, type TableSchema } from './table-types.js';

const isString = (v: unknown): v is string => typeof v === 'string';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

export function parseTableSchema(text: string, file: string): TableSchema {
  const bad = (what: string): never => { throw new TableError(file, null, null, `__metadata__.table: ${what}`); };
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    return bad(`not valid JSON (${(e as Error).message})`);
  }
  const s = o as Partial<TableSchema> | null;
  if (s === null || typeof s !== 'object') return bad('expected an object');
  if (!isStrings(s.names) || s.names.length === 0) bad('names: expected the column names');
  if (typeof s.header !== 'boolean') bad('header: expected true or false');
  if (!isString(s.delimiter) || s.delimiter.length === 0) bad('delimiter: expected a string');
  const t = s.target;
  if (!t || !isString(t.name) || !s.names!.includes(t.name)) bad('target.name: expected one of the column names');
  if (t!.task !== 'classification' && t!.task !== 'regression') bad('target.task: expected classification or regression');
  if (t!.task === 'classification' ? !isStrings(t!.classes) || t!.classes.length < 2 : t!.classes !== null) bad('target.classes: expected the class names (null for regression)');
  if (!Array.isArray(s.columns)) bad('columns: expected a list');
  s.columns!.forEach((c, i) => {
    const where = `columns[${i}]`;
    if (!c || !isString(c.name) || !s.names!.includes(c.name)) bad(`${where}.name: expected one of the column names`);
    if (c.kind === 'numeric') {
      if (c.features !== 1 || !(c.fill === null || (typeof c.fill === 'number' && Number.isFinite(c.fill)))) bad(`${where}: expected features 1 and a numeric fill or null`);
    } else if (c.kind === 'categorical') {
      if (!isStrings(c.categories) || c.features !== c.categories.length || !(c.fill === null || isString(c.fill))) bad(`${where}: expected categories, features = their count, and a text fill or null`);
    } else {
      bad(`${where}.kind: expected numeric or categorical`);
    }
  });
  return s as TableSchema;
}
