// `npx tsx bench/threads.ts [--threads 1,2] [--quick]`: what more threads buy. Each workload runs
// at every thread count of the list (default: 1 and every core), as threads-suite.ts measures them
// (`npm run bench` runs the same suite at 1 and every core). Prints a markdown table and writes
// bench/results-threads.json. Relaxed SIMD build where the engine runs it (bench/flags.ts).
import './node-select.js'; // first: --node N re-runs this bench on that Node version
import './flags.js';
import { availableParallelism, cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relaxedSimdSupported } from '../src/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { measureThreads } from './threads-suite.js';
import { threadsTable } from './threads-table.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const at = args.indexOf('--threads');
const counts = at >= 0 ? args[at + 1]!.split(',').map(Number) : [...new Set([1, availableParallelism()])];
if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--threads: expected counts like 1,2,4, got '${args[at + 1]}'`);

const { train } = await loadMnist({ trainRows: 8000, testRows: 0 });
const build = relaxedSimdSupported() ? 'relaxed' : 'plain';
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores available, Node ${process.versions.node}, ${build} SIMD build`;
const t = await measureThreads(counts, train, quick, machine, (line) => process.stderr.write(`${line}…\n`));
const table = threadsTable(t);
const lines = [`| ${table.headers.join(' | ')} |`, `|${'---|'.repeat(table.headers.length)}`, ...table.rows.map((r) => `| ${r.join(' | ')} |`)];
console.log(`${machine}\n\n${lines.join('\n')}`);
writeFileSync(fileURLToPath(new URL('./results-threads.json', import.meta.url)), JSON.stringify(t, null, 2) + '\n');
