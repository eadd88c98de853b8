// The demo page in headless Chromium: built as `npm run demo` builds it, it loads all 70,000
// digits with a progress status, trains the MLP in a Web Worker to at least 0.90 test accuracy,
// compare mode draws three curves from the same start, stop and reset work, nothing logs an error.
// The training tests use ?train=8000&test=2000 (the first digits only) to stay short; the drawing
// pad and the CNN are in demo-draw.once.test.ts. Screenshots go to test/artifacts/.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DIGITS_FILE } from '../../demo/build.js';
import { decodeMnist } from '../../demo/mnist-format.js';
import { loadMnist } from '../../src/data/mnist.js';
import { serveStatic } from '../../demo/serve.js';
import { ARTIFACTS, describeInBrowser, watch } from './harness.js';
import { demoView, openDemo, PHONE, settle, startDemoSite, TIMEOUT, trainDemo, type DemoSite, type DemoView } from './demo-site.js';

const QUICK = '?train=8000&test=2000';

describeInBrowser('the demo page in Chromium', () => {
  let site: DemoSite;

  beforeAll(async () => {
    site = await startDemoSite();
  }, 120_000);

  afterAll(async () => {
    await site?.close();
  });

  it(`${DIGITS_FILE}: about 10 MB, and it decodes to exactly the 70,000 digits and split of src/data/mnist.ts`, async () => {
    const file = await readFile(join(site.dir, DIGITS_FILE));
    expect(file.length).toBe(site.digitsBytes);
    // the original IDX files gzipped are 11.2 MB; the sparse layout saves a tenth
    expect(file.length).toBeLessThan(10.5e6);
    const raw = gunzipSync(file);
    const digits = decodeMnist(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer);
    const { train, test } = await loadMnist();
    const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(digits.pixels).toBe(784);
    for (const [got, want] of [[digits.train, train], [digits.test, test]] as const) {
      expect(got.rows).toBe(want.rows);
      expect(bytes(got.x).equals(bytes(want.x))).toBe(true);
      expect(bytes(got.y).equals(bytes(want.y))).toBe(true);
    }
  }, TIMEOUT);

  it('loads the full set by default, saying how much of the file has arrived', async () => {
    const page = await site.browser.newPage();
    const w = watch(page);
    // every text the status line shows, from the first script on
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { statusSeen: string[] }).statusSeen = seen;
      document.addEventListener('DOMContentLoaded', () => {
        const el = document.getElementById('status')!;
        seen.push(el.textContent ?? '');
        new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
      });
    });
    await page.goto(site.server.url);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
    const v = await demoView(page);
    expect(v.rows).toEqual({ train: 60_000, test: 10_000 });
    expect(await page.textContent('#hint')).toContain('60,000 training and 10,000 test digits');
    const seen = await page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
    const mb = (site.digitsBytes / 1e6).toFixed(1);
    expect(seen).toContain(`Loading the digits… ${mb} of ${mb} MB`);
    expect(seen.at(-1)).toMatch(/^Ready/);
    expect(w.problems).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('trains an MLP on MNIST in a Web Worker to at least 0.90 test accuracy, on the relaxed-SIMD build and every core', async () => {
    const { page, w } = await openDemo(site, { query: QUICK });
    expect(await page.textContent('#stat-build')).toBe('relaxed SIMD');
    // the page is cross-origin isolated (demo/serve.ts), so the worker's kernels run on every core,
    // from the shared-memory build: the training worker and cores - 1 pool workers it started from a Blob URL
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(await page.textContent('#stat-threads')).toBe(String(cores));
    expect(await page.isHidden('#threads-note')).toBe(true);
    const workers = page.workers().map((x) => new URL(x.url()).protocol === 'blob:' ? 'blob:' : new URL(x.url()).pathname).sort();
    expect(workers).toEqual(['/worker.js', ...new Array<string>(cores - 1).fill('blob:')].sort());
    expect(w.wasm).toEqual([cores > 1 ? '/relaxed-shared.wasm' : '/relaxed.wasm']);
    expect(await page.textContent('#hint')).toContain('8,000 training and 2,000 test digits');
    // the CNN is the default; choosing the MLP picks its constant learning rate, as the CLI does
    expect(await page.inputValue('select[name="decay"]')).toBe('0.5');
    expect(await page.isDisabled('select[name="hidden"]')).toBe(true);
    await page.check('input[name="model"][value="mlp"]');
    expect(await page.inputValue('select[name="decay"]')).toBe('1');
    expect(await page.isDisabled('select[name="hidden"]')).toBe(false);
    await trainDemo(page, { epochs: 2 });

    const v = await demoView(page);
    expect(v.build).toBe('relaxed');
    expect(v.threads).toEqual({ count: cores, reason: null });
    expect(v.runs).toHaveLength(1);
    expect(v.runs[0]!.kind).toBe('momentum');
    expect(v.runs[0]!.accuracy).toHaveLength(2);
    expect(v.runs[0]!.loss).toBeGreaterThan(20); // points on the live loss curve
    const accuracy = Number(await page.getAttribute('#stat-accuracy', 'data-value'));
    expect(accuracy).toBe(v.runs[0]!.accuracy[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    expect(await page.textContent('#stat-epoch')).toBe('2 / 2');
    expect(Number((await page.textContent('#stat-speed'))!.replace(/,/g, ''))).toBeGreaterThan(0);

    // the digit grid: every digit has a prediction; wrong ones are marked and say the truth
    const { test } = await loadMnist({ trainRows: 0, testRows: 40 });
    const cells = await page.$$eval('#digits li', (lis) =>
      lis.map((li) => ({ cls: li.className, guess: li.querySelector('.pred')!.textContent!, truth: li.querySelector('.truth')!.textContent! })));
    expect(cells.map((c) => Number(c.truth))).toEqual(Array.from(test.y));
    for (const c of cells) {
      expect(c.guess).toMatch(/^\d$/);
      expect(c.cls).toBe(c.guess === c.truth ? 'right' : 'wrong');
    }
    expect(cells.filter((c) => c.cls === 'right').length).toBeGreaterThanOrEqual(32);

    await page.screenshot({ path: join(ARTIFACTS, 'demo-desktop.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    // let the resized layout paint before the picture (a shot straight after the resize caught half-painted cells)
    await settle(page);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-phone.png'), fullPage: true });
    // nothing wider than a phone screen
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(w.problems).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('compare mode: plain GD, momentum and Nesterov from the same weights on the same batches, three curves on one chart', async () => {
    const { page, w } = await openDemo(site, { query: QUICK });
    await trainDemo(page, { epochs: 2, compare: true, model: 'mlp' });
    const v = await demoView(page);
    expect(v.runs.map((r) => r.kind)).toEqual(['plain', 'momentum', 'nesterov']);
    for (const r of v.runs) {
      expect(r.loss).toBeGreaterThan(20);
      expect(r.accuracy).toHaveLength(2);
      expect(r.diverged).toBeNull();
    }
    // the first batch's loss comes before any update: the same weights and the same batch give
    // the same number, bit for bit
    const first = v.runs.map((r) => r.firstLoss);
    expect(first[0]).toBeTypeOf('number');
    expect(new Set(first).size).toBe(1);
    expect(await page.$$eval('#legend li', (lis) => lis.length)).toBe(3);
    // momentum beats plain gradient descent at the same learning rate
    expect(v.runs[1]!.accuracy[1]!).toBeGreaterThan(v.runs[0]!.accuracy[1]!);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-compare-desktop.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    await settle(page);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-compare-phone.png'), fullPage: true });
    expect(w.problems).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('served without COOP/COEP: the page says it runs one thread and why, fetches no shared build, and trains', async () => {
    const server = await serveStatic(site.dir, { crossOriginIsolation: false });
    try {
      const { page, w } = await openDemo({ ...site, server }, { query: QUICK });
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
      expect(await page.textContent('#stat-threads')).toBe('1');
      expect(await page.textContent('#status')).toBe('Ready · relaxed SIMD (FMA) · 1 thread');
      expect(await page.isVisible('#threads-note')).toBe(true);
      expect(await page.textContent('#threads-note')).toMatch(/^One thread: the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\.$/);
      expect((await demoView(page)).threads).toEqual({ count: 1, reason: expect.stringMatching(/not cross-origin isolated/) });
      await trainDemo(page, { epochs: 1, model: 'mlp' });
      expect(Number(await page.getAttribute('#stat-accuracy', 'data-value'))).toBeGreaterThanOrEqual(0.85);
      await page.screenshot({ path: join(ARTIFACTS, 'demo-one-thread.png') });
      expect(w.wasm).toEqual(['/relaxed.wasm']);
      expect(w.problems).toEqual([]);
      await page.close();
    } finally {
      await server.close();
    }
  }, TIMEOUT);

  it('stop ends a run early; reset clears the charts and the controls', async () => {
    const { page, w } = await openDemo(site, { viewport: PHONE, query: QUICK });
    await page.check('input[name="model"][value="mlp"]');
    await page.fill('input[name="learningRate"]', '0.02');
    await page.fill('input[name="epochs"]', '100');
    await page.click('#start-button');
    await page.waitForFunction(() => ((window as unknown as { mwDemo: DemoView }).mwDemo.runs[0]?.loss ?? 0) > 0, undefined, { timeout: 20_000 });
    expect(await page.isDisabled('input[name="epochs"]')).toBe(true);
    await page.click('#stop-button');
    await page.waitForSelector('body[data-state="stopped"]', { timeout: 20_000 });
    expect((await demoView(page)).runs[0]!.accuracy.length).toBeLessThan(100);
    await page.click('#reset-button');
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect((await demoView(page)).runs).toEqual([]);
    expect(await page.inputValue('input[name="epochs"]')).toBe('3');
    expect(await page.inputValue('input[name="learningRate"]')).toBe('0.05');
    expect(await page.isChecked('input[name="model"][value="cnn"]')).toBe(true);
    expect(await page.inputValue('select[name="decay"]')).toBe('0.5');
    expect(await page.isDisabled('select[name="hidden"]')).toBe(true);
    expect(w.problems).toEqual([]);
    await page.close();
  }, TIMEOUT);
});
