// The readable report on stdout: aligned text tables rendered from the results.
import { gemmTable, setupLines, targetTable, workloadTable, type Table } from './tables.js';
import type { Results } from './results.js';
import { cnnLines, cnnTable, convLines, convTable } from './cnn-tables.js';
import { CONV_TARGET_PCT } from './cnn-results.js';
import { threadsTable } from './threads-table.js';

function text(t: Table, indent = '  '): string {
  const all = [t.headers, ...t.rows];
  const w = t.headers.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const pad = (s: string, i: number) => {
    const gap = ' '.repeat(w[i]! - [...s].length);
    return t.align[i] === 'r' ? gap + s : s + gap;
  };
  const line = (r: string[]) => indent + r.map(pad).join('  ').trimEnd();
  return [line(t.headers), indent + w.map((n) => '-'.repeat(n)).join('  '), ...t.rows.map(line)].join('\n');
}

export function renderReport(r: Results): string {
  const out: string[] = [];
  out.push(`momentum-wasm bench: ${r.command}  (${r.date}, ${r.seconds.toFixed(0)} s)`);
  for (const l of setupLines(r)) out.push(`  ${l}`);
  out.push('', 'GEMM, GFLOP/s (% of peak: each repetition against the same build\'s peak probe run right after it; * = below the 85% target)', text(gemmTable(r)));
  out.push('', 'Training workloads (MNIST digits, SGD lr 0.01 momentum 0.9)', text(workloadTable(r)));
  const cnn = cnnTable(r);
  if (cnn) out.push('', 'CNN training (MNIST digits, SGD lr 0.01 momentum 0.9)', text(cnn), ...cnnLines(r).map((l) => `  - ${l}`));
  const conv = convTable(r);
  if (conv) out.push('', `Conv layers alone, GFLOP/s (% of peak; * = below the ${CONV_TARGET_PCT}% target)`, text(conv), ...convLines(r).map((l) => `  - ${l}`));
  if (r.threads) out.push('', `Threads (${r.threads.build} build, 1 thread and ${r.threads.counts.at(-1)}, in turns)`, text(threadsTable(r.threads)));
  if (r.targets.length) out.push('', text(targetTable(r)));
  if (r.notes.length) out.push('', 'Notes', ...r.notes.map((n) => `  - ${n}`));
  return out.join('\n') + '\n';
}
