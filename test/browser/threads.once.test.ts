// Threads in a real browser (headless Chromium, this machine's 2 cores): a cross-origin isolated
// page (the server sends COOP same-origin and COEP require-corp) whose module worker loads the
// package (bundled by esbuild, the packaged .wasm found next to the bundle) with threads 1, 2 and
// 'auto', each a separate loadKernels: the pool's workers start from a Blob URL inside the module
// worker, and an MLP and a CNN whose GEMMs are split train to the very bits of threads = 1 and of
// Node. The same page served without those headers runs on one thread and says why, and trains the
// same bits; an isolated page's main thread runs on one thread and says why (it may not wait).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { serveStatic, type StaticServer } from '../../demo/serve.js';
import { splitGemm } from '../../src/runtime/parallel-gemm.js';
import { loadKernels } from '../../src/index.js';
import { ROOT, describeInBrowser, ensureDist, launchChromium, watch, type PageWatch } from './harness.js';

interface Failure { error: { name: string; message: string } }
interface Trained { losses: number[]; lossValues: number[]; weights: { name: string; bits: number[] }[]; predictions: number[] }
interface RunResult {
  features: { simd: boolean; relaxedSimd: boolean; threads: number; threadsReason: string | null };
  poolSize: number;
  mlp: Trained;
  cnn: Trained;
}
type Threads = number | 'auto';
interface Run { options: { simd?: string; threads: Threads }; result: RunResult | Failure }
interface PageResult {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  mainThread: Run[];
  worker: { crossOriginIsolated: boolean; hardwareConcurrency: number; results: Run[] } | Failure;
}

const PAGES = join(ROOT, 'test', 'browser', 'pages');
const WASM = ['release.wasm', 'relaxed.wasm', 'release-shared.wasm', 'relaxed-shared.wasm'];
// vitest's projects do not inherit the root testTimeout
const TIMEOUT = 90_000;

function ok<T extends object>(r: T | Failure, what: string): T {
  if ('error' in r) throw new Error(`${what} failed: ${r.error.name}: ${r.error.message}`);
  return r;
}
/** what must be bitwise equal across thread counts and with Node */
const trained = (r: RunResult) => ({ mlp: r.mlp, cnn: r.cnn });

describeInBrowser('threads in Chromium', () => {
  let browser: Browser;
  let isolated: StaticServer; // COOP + COEP on every response
  let plain: StaticServer; // the same files without them
  let tmp: string;
  let node: { plain: RunResult; relaxed: RunResult };
  /** the isolated page, opened once for the two tests that read it */
  let isolatedPage: Promise<{ page: Page; w: PageWatch; result: PageResult }> | undefined;

  beforeAll(async () => {
    await ensureDist();
    tmp = await mkdtemp(join(tmpdir(), 'mw-threads-'));
    await mkdir(join(tmp, 'build'), { recursive: true });
    const reference = promisify(execFile)(process.execPath, [join(PAGES, 'threads-node-reference.mjs')], { cwd: ROOT, maxBuffer: 64 << 20 });
    const launched = launchChromium();
    await Promise.all([
      // assets/threads-page.js and assets/threads-worker.js; the package finds ../build/*.wasm from the bundle's URL
      build({
        entryPoints: [join(PAGES, 'threads-page.js'), join(PAGES, 'threads-worker.js')],
        outdir: join(tmp, 'assets'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error', absWorkingDir: ROOT,
      }),
      writeFile(join(tmp, 'index.html'),
        '<!doctype html><meta charset="utf-8"><title>threads</title><link rel="icon" href="data:,"><script type="module" src="assets/threads-page.js"></script>'),
      ...WASM.map((f) => copyFile(join(ROOT, 'build', f), join(tmp, 'build', f))),
    ]);
    [isolated, plain, browser, node] = await Promise.all([
      serveStatic(tmp), serveStatic(tmp, { crossOriginIsolation: false }), launched, reference.then((r) => JSON.parse(r.stdout)),
    ]);
  }, 120_000);

  afterAll(async () => {
    await isolatedPage?.then(({ page }) => page.close(), () => undefined);
    await browser?.close();
    await isolated?.close();
    await plain?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function open(url: string): Promise<{ page: Page; w: PageWatch; result: PageResult }> {
    const page = await browser.newPage();
    const w = watch(page);
    const failed = new Promise<never>((_, reject) => {
      page.on('pageerror', (e) => reject(new Error(`the page failed: ${e.message}`)));
      page.on('console', (m) => m.type() === 'error' && reject(new Error(`the page logged an error: ${m.text()}`)));
    });
    failed.catch(() => undefined);
    await page.goto(url);
    await Promise.race([page.waitForFunction(() => 'mwResult' in window, undefined, { timeout: 20_000 }), failed]);
    const result = (await Promise.race([page.evaluate(() => (window as unknown as { mwResult: Promise<unknown> }).mwResult), failed])) as PageResult;
    return { page, w, result };
  }

  /** the worker's run with these options */
  function workerRun(result: PageResult, simd: string, threads: Threads): RunResult {
    const worker = ok(result.worker, 'the worker');
    const run = worker.results.find((r) => r.options.simd === simd && r.options.threads === threads);
    expect(run, `a run with simd ${simd}, threads ${threads}`).toBeDefined();
    return ok(run!.result, `the worker's run (simd ${simd}, threads ${threads})`);
  }

  it("the scenario's products are split on 2 threads, and the plain and relaxed builds differ (so equal bits mean something)", async () => {
    const k = await loadKernels({ simd: 'plain', threads: 1 });
    const ex = k.exports as unknown as { GEMM_MR: WebAssembly.Global; GEMM_NR: WebAssembly.Global };
    const mr = Number(ex.GEMM_MR.value), nr = Number(ex.GEMM_NR.value);
    k.dispose();
    // MLP 400-256-10, batch 64: the first layer forward (64x256x400) and its weight gradient (400x256x64)
    expect(splitGemm(2, 64, 256, 400, mr, nr)).toHaveLength(2);
    expect(splitGemm(2, 400, 256, 64, mr, nr)).toHaveLength(2);
    // CNN on 16x16x3, batch 32: conv 3x3 x16 'same' as im2col (32*256 x 16 x 27), conv 3x3 x32 (32*36 x 32 x 144)
    expect(splitGemm(2, 32 * 256, 16, 27, mr, nr)).toHaveLength(2);
    expect(splitGemm(2, 32 * 36, 32, 144, mr, nr)).toHaveLength(2);
    expect(node.plain.features).toMatchObject({ relaxedSimd: false, threads: 1, threadsReason: null });
    expect(node.relaxed.features).toMatchObject({ relaxedSimd: true, threads: 1, threadsReason: null });
    expect(node.plain.mlp.weights).not.toEqual(node.relaxed.mlp.weights);
    expect(node.plain.cnn.weights).not.toEqual(node.relaxed.cnn.weights);
  }, TIMEOUT);

  it('a cross-origin isolated page: its module worker trains on 1 and 2 threads to the same bits, and to the bits of Node', async () => {
    const { w, result } = await (isolatedPage ??= open(isolated.url));
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.sharedArrayBuffer).toBe(true);
    const worker = ok(result.worker, 'the worker');
    expect(worker.crossOriginIsolated).toBe(true);
    for (const simd of ['auto', 'plain']) {
      const one = workerRun(result, simd, 1), two = workerRun(result, simd, 2);
      const relaxed = simd === 'auto'; // Chromium validates relaxed SIMD
      expect(one.features).toEqual({ simd: true, relaxedSimd: relaxed, threads: 1, threadsReason: null });
      expect(two.features).toEqual({ simd: true, relaxedSimd: relaxed, threads: 2, threadsReason: null });
      expect([one.poolSize, two.poolSize]).toEqual([0, 1]);
      expect(trained(two)).toEqual(trained(one));
      expect(trained(one)).toEqual(trained(relaxed ? node.relaxed : node.plain));
      for (const r of [one.mlp, one.cnn]) expect(r.lossValues.at(-1)!).toBeLessThan(r.lossValues[0]!);
    }
    // 'auto' in an isolated worker: every core the browser reports
    const auto = workerRun(result, 'auto', 'auto');
    expect(auto.features).toMatchObject({ threads: Math.min(worker.hardwareConcurrency, 64), threadsReason: null });
    expect(trained(auto)).toEqual(trained(node.relaxed));
    // the plain (unshared) builds for threads 1, the shared ones for more
    expect(new Set(w.wasm)).toEqual(new Set(WASM.map((f) => `/build/${f}`)));
    expect(w.problems).toEqual([]);
  }, TIMEOUT);

  it("an isolated page's main thread runs one thread, saying it may not wait, and trains the same bits", async () => {
    const { w, result } = await (isolatedPage ??= open(isolated.url));
    expect(result.mainThread.map((r) => r.options.threads)).toEqual(['auto', 2]);
    for (const run of result.mainThread) {
      const r = ok(run.result, `the main thread's run (threads ${run.options.threads})`);
      expect(r.features).toMatchObject({ relaxedSimd: true, threads: 1 });
      expect(r.features.threadsReason).toMatch(/main thread may not wait \(Atomics\.wait\).*Web Worker/);
      expect(r.poolSize).toBe(0);
      expect(trained(r)).toEqual(trained(node.relaxed));
    }
    expect(w.problems).toEqual([]);
  }, TIMEOUT);

  it('the same page served without COOP/COEP: one thread everywhere, threadsReason says why, and training gives the same bits', async () => {
    const { page, w, result } = await open(plain.url);
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.sharedArrayBuffer).toBe(false);
    const worker = ok(result.worker, 'the worker');
    expect(worker.crossOriginIsolated).toBe(false);
    const runs = [...worker.results, ...result.mainThread];
    expect(runs).toHaveLength(7);
    for (const run of runs) {
      const r = ok(run.result, `the run with ${JSON.stringify(run.options)}`);
      expect(r.features.threads).toBe(1);
      expect(r.poolSize).toBe(0);
      if (run.options.threads === 1) expect(r.features.threadsReason).toBeNull();
      else expect(r.features.threadsReason).toMatch(/not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
      expect(trained(r)).toEqual(trained(run.options.simd === 'plain' ? node.plain : node.relaxed));
      for (const t of [r.mlp, r.cnn]) expect(t.lossValues.at(-1)!).toBeLessThan(t.lossValues[0]!);
    }
    // no shared build is fetched where none can run
    expect([...new Set(w.wasm)].sort()).toEqual(['/build/relaxed.wasm', '/build/release.wasm']);
    expect(w.problems).toEqual([]);
    await page.close();
  }, TIMEOUT);
});
