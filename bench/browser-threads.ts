// `npx tsx bench/browser-threads.ts [--threads 1,2] [--rounds 7]`: what more threads buy in headless
// Chromium. A cross-origin isolated page (demo/serve.ts's headers) starts a module worker that loads
// the package (bundled by esbuild, as the demo is) once per thread count and trains the CLI's CNN,
// LeNet-5, W1 and W2 with trainBatch, the thread counts in turns, rounds of about 400 ms each.
// Prints a markdown table of median samples/s. Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
import { build } from 'esbuild';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveStatic } from '../demo/serve.js';
import { median } from './timing.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => { const at = args.indexOf(name); return at >= 0 ? args[at + 1]! : fallback; };
const counts = flag('--threads', `1,${availableParallelism()}`);
const rounds = Number(flag('--rounds', '7'));

// the bundle imports the package as a user's does: dist/, compiled from src/ first
const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
const tmp = await mkdtemp(join(tmpdir(), 'mw-browser-threads-'));
try {
  await mkdir(join(tmp, 'build'), { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'bench', 'browser', 'threads-page.js'), join(ROOT, 'bench', 'browser', 'threads-worker.js')],
    outdir: join(tmp, 'assets'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error', absWorkingDir: ROOT,
  });
  await writeFile(join(tmp, 'index.html'), '<!doctype html><meta charset="utf-8"><title>threads</title><link rel="icon" href="data:,"><script type="module" src="assets/threads-page.js"></script>');
  for (const f of ['release.wasm', 'relaxed.wasm', 'release-shared.wasm', 'relaxed-shared.wasm']) await copyFile(join(ROOT, 'build', f), join(tmp, 'build', f));
  const server = await serveStatic(tmp);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}?threads=${counts}&rounds=${rounds}&repMs=400`);
    await page.waitForFunction(() => 'mwResult' in window);
    const r = (await page.evaluate(() => (window as unknown as { mwResult: Promise<unknown> }).mwResult, undefined)) as {
      crossOriginIsolated: boolean; hardwareConcurrency: number; threads: number[]; reasons: Array<string | null>;
      rows: Array<{ workload: string; rates: number[][] }>;
    };
    const version = browser.version();
    console.log(`Chromium ${version}, headless, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; crossOriginIsolated ${r.crossOriginIsolated}, ` +
      `hardwareConcurrency ${r.hardwareConcurrency}; threads run: ${r.threads.join(', ')}${r.reasons.some(Boolean) ? ` (${r.reasons.join('; ')})` : ''}; ` +
      `median of ${rounds} repetitions of about 400 ms, thread counts in turns\n`);
    const last = r.threads.length - 1;
    console.log(`| workload | ${r.threads.map((t) => `${t} thread${t > 1 ? 's' : ''}`).join(' | ')} | ${r.threads[last]}/${r.threads[0]} |`);
    console.log(`|---|${r.threads.map(() => '---:|').join('')}---:|`);
    for (const row of r.rows) {
      const m = row.rates.map(median);
      console.log(`| ${row.workload} | ${m.map((v) => Math.round(v).toLocaleString('en-US')).join(' | ')} | ${(m[last]! / m[0]!).toFixed(2)}x |`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
