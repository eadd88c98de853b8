// Regenerates the README's performance section from bench/results.json: everything between
// <!-- bench:start --> and <!-- bench:end -->. Run by `npm run bench` at the end of a full run, or
// alone: `npx tsx bench/readme.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gemmTable, setupLines, targetTable, workloadTable, type Table } from './tables.js';
import type { Results } from './results.js';
import { cnnLines, cnnTable, convLines, convTable } from './cnn-tables.js';
import { CONV_TARGET_PCT } from './cnn-results.js';
import { threadsTable } from './threads-table.js';

export const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));
const README_FILE = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

function markdown(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\*/g, '\\*');
  const row = (r: string[]) => `| ${r.map(esc).join(' | ')} |`;
  return [row(t.headers), `|${t.align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`, ...t.rows.map(row)].join('\n');
}

export function renderSection(r: Results): string {
  const [machineLine = '', method = '', ...setup] = setupLines(r);
  return [
    `Measured with \`${r.command}\` on ${r.date.slice(0, 10)}: ${machineLine}. ${method.charAt(0).toUpperCase()}${method.slice(1)}.`,
    'All numbers, with the spread of each measurement, are in [bench/results.json](bench/results.json).',
    '',
    ...setup.map((l) => `- ${l}`),
    '',
    'Training workloads (MNIST digits, SGD lr 0.01, momentum 0.9):',
    '',
    markdown(workloadTable(r)),
    ...cnnSection(r),
    ...threadsSection(r),
    '',
    'GEMM, GFLOP/s (% of peak: each repetition against the same build\'s peak probe run right after it; \\* = below the 85% target):',
    '',
    markdown(gemmTable(r)),
    ...(r.targets.length ? ['', markdown(targetTable(r))] : []),
    ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
}

/** the thread table (1 thread and every core, in turns), or nothing for older results */
function threadsSection(r: Results): string[] {
  if (!r.threads) return [];
  return ['', `Threads (${r.threads.build} build; each workload at 1 thread and at ${r.threads.counts.at(-1)}, in turns; numpy with OPENBLAS_NUM_THREADS at the same counts):`, '', markdown(threadsTable(r.threads))];
}

/** the CNN and conv-layer tables with the lines under them, or nothing for older results */
function cnnSection(r: Results): string[] {
  const out: string[] = [];
  const cnn = cnnTable(r);
  if (cnn) out.push('', 'CNN training (MNIST digits, SGD lr 0.01, momentum 0.9):', '', markdown(cnn), '', ...cnnLines(r).map((l) => `- ${l}`));
  const conv = convTable(r);
  if (conv) out.push('', `Conv layers alone, GFLOP/s (% of peak; \\* = below the ${CONV_TARGET_PCT}% target):`, '', markdown(conv), '', ...convLines(r).map((l) => `- ${l}`));
  return out;
}

/** Replaces the marked section (adding a "## Performance" section with the markers at the end if missing). */
export function updateReadme(resultsFile = RESULTS_FILE, readmeFile = README_FILE): void {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
  let readme = readFileSync(readmeFile, 'utf8');
  if (!readme.includes(START) || !readme.includes(END)) {
    readme = `${readme.trimEnd()}\n\n## Performance\n\n${START}\n${END}\n`;
  }
  const a = readme.indexOf(START) + START.length;
  const b = readme.indexOf(END, a);
  if (b < 0) throw new Error(`README.md: ${END} must come after ${START}`);
  writeFileSync(readmeFile, `${readme.slice(0, a)}\n${renderSection(r)}\n${readme.slice(b)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) updateReadme();
