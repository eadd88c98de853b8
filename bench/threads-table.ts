// The thread table (threads-results.ts) for the README and the report.
import type { Table } from './tables.js';
import type { ThreadResults } from './threads-results.js';

/** workload, unit, a column per thread count, then each count's ratio to the first */
export function threadsTable(t: ThreadResults): Table {
  const fmt = (v: number, unit: string) => (unit === 'GFLOP/s' ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));
  const counts = t.counts;
  return {
    headers: ['workload', 'unit', ...counts.map((n) => `${n} thread${n > 1 ? 's' : ''}`), ...counts.slice(1).map((n) => `${n}/1`)],
    rows: t.rows.map((r) => [r.workload, r.unit, ...r.values.map((v) => fmt(v, r.unit)), ...r.values.slice(1).map((v) => `${(v / r.values[0]!).toFixed(2)}x`)]),
    align: ['l', 'l', ...counts.map(() => 'r' as const), ...counts.slice(1).map(() => 'r' as const)],
  };
}
