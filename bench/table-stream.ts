// `npx tsx bench/table-stream.ts [MB] [--keep]`: how `train FILE.csv` reads a large table. Writes a
// synthetic CSV of about MB megabytes (default 1000: 12 numeric columns, one text column of 5
// categories, a 4-class target) to the temporary folder, then runs the real command line on it
// (1 epoch) in a child process and reports its wall time and peak resident memory beside the size
// of the table's float32 features, the figure the reader is meant to stay near.
import { spawnSync } from 'node:child_process';
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/rng.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const mb = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
const keep = process.argv.includes('--keep');
const file = join(tmpdir(), `mw-table-${mb}mb.csv`);
const NUMERIC = 12;
const CATEGORIES = ['north', 'south', 'east', 'west', 'centre'];

async function write(): Promise<number> {
  const out = createWriteStream(file);
  out.write([...Array.from({ length: NUMERIC }, (_, i) => `x${i}`), 'region', 'label'].join(',') + '\n');
  const rng = new Rng(7);
  let bytes = 0, rows = 0;
  while (bytes < mb * 1e6) {
    const lines: string[] = [];
    for (let r = 0; r < 1000; r++) {
      const x = Array.from({ length: NUMERIC }, () => rng.next() * 2 - 1);
      const region = rng.int(CATEGORIES.length);
      const label = (x[0]! + x[1]! > 0 ? 1 : 0) + (x[2]! * region > 0.5 ? 2 : 0);
      lines.push(`${x.map((v) => v.toFixed(5)).join(',')},${CATEGORIES[region]},c${label}`);
    }
    const chunk = lines.join('\n') + '\n';
    bytes += chunk.length;
    rows += 1000;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

const t0 = performance.now();
const rows = await write();
const size = statSync(file).size;
console.log(`wrote ${file}: ${(size / 1e6).toFixed(0)} MB, ${rows.toLocaleString('en-US')} rows, in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const features = NUMERIC + CATEGORIES.length;
const float32 = rows * features * 4 + rows * 4;
const time = spawnSync('/usr/bin/time', ['-f', '%e %M', join(ROOT, 'node_modules', '.bin', 'tsx'), join(ROOT, 'src', 'cli', 'cli.ts'),
  'train', file, '--target', 'label', '--epochs', '1', '--batch-size', '256', '--hidden', '32'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (time.status !== 0) { console.error(time.stderr); process.exit(1); }
const [seconds, kb] = time.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number];
console.log(time.stdout.trim());
console.log(
  `train ${(size / 1e6).toFixed(0)} MB CSV, 1 epoch: ${seconds.toFixed(0)} s wall, peak resident memory ${(kb / 1024).toFixed(0)} MiB; ` +
    `the table as float32 (x and y): ${(float32 / 2 ** 20).toFixed(0)} MiB`,
);
if (!keep) rmSync(file, { force: true });
