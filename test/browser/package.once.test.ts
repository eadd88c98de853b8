// The package in a real browser (headless Chromium): loaded as native ES modules with an import
// map (no bundler) and bundled by esbuild (with the .wasm found next to the bundle, or named
// explicitly). Each reproduces the founding document's linear regression and a small model's
// training bitwise as Node computes it on the same build; relaxed SIMD is picked where it
// validates; a browser without SIMD gets a clear UnsupportedError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { serveStatic, type StaticServer } from '../../demo/serve.js';
import { ROOT, describeInBrowser, ensureDist, launchChromium, watch, type PageWatch } from './harness.js';

interface Failure { error: { name: string; message: string } }
interface ScenarioResult {
  features: { simd: boolean; relaxedSimd: boolean };
  linear: { weight: number; firstLoss: number };
  small: {
    initial: number[][];
    stepLosses: number[];
    fitLosses: number[];
    weights: { name: string; bits: number[] }[];
    predictions: number[];
  };
  /** save({ format: 'onnx' }) of the linear model: its size, or the error */
  onnx: { bytes: number } | { error: string; message: string };
  /** a small CNN with every layer type, Adam steps */
  conv: {
    losses: number[];
    weights: { name: string; bits: number[] }[];
    predictions: number[];
  };
}
type Both = { auto: ScenarioResult | Failure; plain: ScenarioResult | Failure };

const PAGES = join(ROOT, 'test', 'browser', 'pages');
// vitest's projects do not inherit the root testTimeout
const TIMEOUT = 60_000;

/** static import / export-from specifiers of an ES module (tsc's output; dynamic import() excluded) */
function staticSpecifiers(code: string): string[] {
  const re = /(?:^|[;\n])\s*(?:import|export)\s*(?:type\s+)?(?:\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?)\s*from\s*['"]([^'"]+)['"]|(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g;
  return [...code.matchAll(re)].map((m) => (m[1] ?? m[2])!);
}

describe('the browser entry', () => {
  it("dist/index.js's static import graph names no Node built-in, and one bare specifier for the import map", async () => {
    await ensureDist();
    const bare = new Map<string, string>(); // specifier -> first importer
    const seen = new Set<string>();
    const todo = [join(ROOT, 'dist', 'index.js')];
    const loader = join(ROOT, 'node_modules', '@assemblyscript', 'loader', 'index.js');
    while (todo.length) {
      const file = todo.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const spec of staticSpecifiers(await readFile(file, 'utf8'))) {
        if (spec.startsWith('./') || spec.startsWith('../')) todo.push(resolve(dirname(file), spec));
        else {
          if (!bare.has(spec)) bare.set(spec, relative(ROOT, file));
          if (spec === '@assemblyscript/loader') todo.push(loader);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(5);
    expect(Object.fromEntries(bare)).toEqual({ '@assemblyscript/loader': 'dist/runtime/load.js' });
  }, 60_000);
});

describeInBrowser('the package in Chromium', () => {
  let browser: Browser;
  let repo: StaticServer; // the package root, for the no-bundler page
  let bundles: StaticServer; // esbuild output: /auto/ and /explicit/
  let plainServer: StaticServer; // the same, but .wasm without the application/wasm type
  let tmp: string;
  let node: { plain: ScenarioResult; relaxed: ScenarioResult };

  beforeAll(async () => {
    await ensureDist();
    tmp = await mkdtemp(join(tmpdir(), 'mw-browser-'));
    const bundle = async (outfile: string) => {
      await build({
        entryPoints: [join(PAGES, 'bundle-entry.js')], outfile, bundle: true, format: 'esm', platform: 'browser',
        target: 'es2022', logLevel: 'error', absWorkingDir: ROOT,
      });
    };
    const page = (script: string) =>
      `<!doctype html><meta charset="utf-8"><title>bundled</title><link rel="icon" href="data:,"><script type="module" src="${script}"></script>`;
    // auto: the bundle in assets/, the packaged builds where its new URL('../build/…') points
    await mkdir(join(tmp, 'auto', 'build'), { recursive: true });
    // explicit: the .wasm files beside the bundle, handed to loadKernels({ wasm })
    await mkdir(join(tmp, 'explicit'), { recursive: true });
    const reference = promisify(execFile)(process.execPath, [join(PAGES, 'node-reference.mjs')], { cwd: ROOT, maxBuffer: 64 << 20 });
    const launched = launchChromium();
    await Promise.all([
      bundle(join(tmp, 'auto', 'assets', 'app.js')),
      bundle(join(tmp, 'explicit', 'app.js')),
      writeFile(join(tmp, 'auto', 'index.html'), page('assets/app.js')),
      writeFile(join(tmp, 'explicit', 'index.html'), page('app.js')),
      ...['release.wasm', 'relaxed.wasm'].flatMap((f) => [
        copyFile(join(ROOT, 'build', f), join(tmp, 'auto', 'build', f)),
        copyFile(join(ROOT, 'build', f), join(tmp, 'explicit', f)),
      ]),
    ]);
    [repo, bundles, plainServer, browser, node] = await Promise.all([
      serveStatic(ROOT), serveStatic(tmp), serveStatic(tmp, { types: { '.wasm': 'application/octet-stream' } }),
      launched, reference.then((r) => JSON.parse(r.stdout)),
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await repo?.close();
    await bundles?.close();
    await plainServer?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function open(url: string, init?: () => void): Promise<{ page: Page; w: PageWatch; result: Both }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const w = watch(page);
    if (init) await page.addInitScript(init);
    // a module that fails to load (say, an import the browser cannot resolve) ends the wait at once
    const failed = new Promise<never>((_, reject) => {
      page.on('pageerror', (e) => reject(new Error(`the page failed: ${e.message}`)));
      page.on('console', (m) => m.type() === 'error' && reject(new Error(`the page logged an error: ${m.text()}`)));
    });
    failed.catch(() => undefined);
    await page.goto(url);
    await Promise.race([page.waitForFunction(() => 'mwResult' in window, undefined, { timeout: 20_000 }), failed]);
    const result = (await page.evaluate(() => (window as unknown as { mwResult: Promise<unknown> }).mwResult)) as Both;
    return { page, w, result };
  }

  function ok(r: ScenarioResult | Failure): ScenarioResult {
    if ('error' in r) throw new Error(`the page failed: ${r.error.name}: ${r.error.message}`);
    return r;
  }

  function checkRun(result: Both, onnx: 'exported' | 'unsupported' = 'exported'): void {
    const auto = ok(result.auto), plain = ok(result.plain);
    // Chromium validates relaxed SIMD, so 'auto' picks the relaxed build there; serveStatic makes
    // the pages cross-origin isolated, but these run on a page's main thread, which may not wait
    // for other threads: one thread, and the reason (threads.once.test.ts runs them in a worker)
    const oneThread = { threads: 1, threadsReason: expect.stringMatching(/main thread may not wait \(Atomics\.wait\)/) };
    expect(auto.features).toEqual({ simd: true, relaxedSimd: true, ...oneThread });
    expect(plain.features).toEqual({ simd: true, relaxedSimd: false, ...oneThread });
    for (const r of [auto, plain]) {
      expect(r.linear.firstLoss).toBe(30);
      expect(Math.abs(r.linear.weight - 2.0000341)).toBeLessThan(1e-5);
    }
    // bitwise what Node computes on the same build: initial weights, step losses, fit losses,
    // final weights and predictions
    expect(plain.small).toEqual(node.plain.small);
    expect(auto.small).toEqual(node.relaxed.small);
    expect(plain.conv).toEqual(node.plain.conv);
    expect(auto.conv).toEqual(node.relaxed.conv);
    expect(plain.conv.weights.map((w) => w.name)).toContain('batchNorm_1/gamma');
    expect(plain.linear).toEqual(node.plain.linear);
    expect(auto.linear).toEqual(node.relaxed.linear);
    for (const r of [auto, plain]) {
      if (onnx === 'exported') {
        expect(r.onnx).toEqual(node.plain.onnx);
        expect((r.onnx as { bytes: number }).bytes).toBeGreaterThan(50);
      } else {
        expect(r.onnx).toMatchObject({ error: 'UnsupportedError' });
        expect((r.onnx as { message: string }).message).toMatch(/ONNX export needs the package onnx-proto, which could not be loaded here .*bundler/);
      }
    }
  }

  it('Node reference: the plain and relaxed builds differ (FMA), so comparing each with its own build means something', () => {
    expect(node.plain.features.relaxedSimd).toBe(false);
    expect(node.relaxed.features.relaxedSimd).toBe(true);
    expect(node.plain.small.initial).toEqual(node.relaxed.small.initial);
    expect(node.plain.small.predictions).not.toEqual(node.relaxed.small.predictions);
  });

  it('no bundler: dist/ as native ES modules with an import map; linear regression and bitwise weights as in Node; ONNX export says why it is not there', async () => {
    const { page, w, result } = await open(`${repo.url}test/browser/pages/nobundle.html`);
    checkRun(result, 'unsupported');
    expect(w.wasm).toEqual(['/build/relaxed.wasm', '/build/release.wasm']);
    expect(w.problems).toEqual([]);
    await page.context().close();
  }, TIMEOUT);

  it('bundled by esbuild, .wasm found next to the bundle through new URL(…, import.meta.url)', async () => {
    const { page, w, result } = await open(`${bundles.url}auto/`);
    checkRun(result);
    expect(w.wasm).toEqual(['/auto/build/relaxed.wasm', '/auto/build/release.wasm']);
    expect(w.problems).toEqual([]);
    await page.context().close();
  }, TIMEOUT);

  it('bundled by esbuild, .wasm passed explicitly: loadKernels({ wasm: url })', async () => {
    const { page, w, result } = await open(`${bundles.url}explicit/?wasm=explicit`);
    checkRun(result);
    expect(w.wasm).toEqual(['/explicit/relaxed.wasm', '/explicit/release.wasm']);
    expect(w.problems).toEqual([]);
    await page.context().close();
  }, TIMEOUT);

  it('a server that sends .wasm as application/octet-stream: loading falls back from streaming to bytes', async () => {
    const { page, w, result } = await open(`${plainServer.url}auto/`);
    checkRun(result);
    expect(w.wasm).toEqual(['/auto/build/relaxed.wasm', '/auto/build/release.wasm']);
    expect(w.problems).toEqual([]);
    await page.context().close();
  }, TIMEOUT);

  it('a browser without WebAssembly SIMD gets an UnsupportedError that says so, before any download', async () => {
    const noSimd = () => {
      WebAssembly.validate = () => false;
    };
    for (const url of [`${repo.url}test/browser/pages/nobundle.html`, `${bundles.url}auto/`]) {
      const { page, w, result } = await open(url, noSimd);
      for (const r of [result.auto, result.plain]) {
        expect(r).toHaveProperty('error');
        const { name, message } = (r as Failure).error;
        expect(name).toBe('UnsupportedError');
        expect(message).toMatch(/needs WebAssembly SIMD/);
        expect(message).not.toMatch(/CompileError|invalid opcode|expected/i);
      }
      expect(w.wasm).toEqual([]);
      expect(w.problems).toEqual([]);
      await page.context().close();
    }
  }, TIMEOUT);
});
