// The demo page in headless Chromium: built as `npm run demo` builds it, it trains MNIST in a
// Web Worker to at least 0.90 test accuracy, compare mode draws three curves from the same
// start, stop and reset work, nothing logs an error. Screenshots go to test/artifacts/.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildDemo, DEMO_TRAIN_ROWS, DEMO_TEST_ROWS } from '../../demo/build.js';
import { decodeMnist, type MnistFile } from '../../demo/mnist-format.js';
import { loadMnist } from '../../src/data/mnist.js';
import { serveStatic, type StaticServer } from '../../demo/serve.js';
import { ARTIFACTS, describeInBrowser, launchChromium, watch, type PageWatch } from './harness.js';

interface RunView { label: string; kind: string; firstLoss: number | null; loss: number; accuracy: number[]; diverged: string | null }
interface DemoView { state: string; build: string | null; runs: RunView[] }

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
// vitest's projects do not inherit the root testTimeout
const TIMEOUT = 90_000;

describeInBrowser('the demo page in Chromium', () => {
  let browser: Browser;
  let server: StaticServer;
  let tmp: string;
  let digits: MnistFile;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mw-demo-'));
    const launched = launchChromium();
    await buildDemo(tmp);
    digits = decodeMnist((await readFile(join(tmp, 'mnist.bin'))).buffer as ArrayBuffer);
    [server, browser] = await Promise.all([serveStatic(tmp), launched, mkdir(ARTIFACTS, { recursive: true })]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function open(viewport = DESKTOP): Promise<{ page: Page; w: PageWatch }> {
    const page = await browser.newPage({ viewport });
    const w = watch(page);
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 20_000 });
    expect(await page.textContent('#error'), 'the page shows an error').toBe('');
    return { page, w };
  }

  const view = (page: Page) => page.evaluate(() => (window as unknown as { mwDemo: DemoView }).mwDemo).then((v) => JSON.parse(JSON.stringify(v)) as DemoView);

  async function train(page: Page, settings: { epochs: number; compare?: boolean }): Promise<void> {
    if (settings.compare) await page.check('input[name="mode"][value="compare"]');
    await page.fill('input[name="epochs"]', String(settings.epochs));
    await page.click('#start-button');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 45_000 });
    expect(await page.textContent('#error')).toBe('');
  }

  it('mnist.bin: one byte a pixel, and it decodes to exactly the digits and split of src/data/mnist.ts', async () => {
    const { train, test } = await loadMnist({ trainRows: DEMO_TRAIN_ROWS, testRows: DEMO_TEST_ROWS });
    const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(digits.pixels).toBe(784);
    for (const [got, want] of [[digits.train, train], [digits.test, test]] as const) {
      expect(got.rows).toBe(want.rows);
      expect(bytes(got.x).equals(bytes(want.x))).toBe(true);
      expect(bytes(got.y).equals(bytes(want.y))).toBe(true);
    }
    expect((await readFile(join(tmp, 'mnist.bin'))).length).toBeLessThan(10_000 * 785 + 2048);
  }, TIMEOUT);

  it('trains an MLP on MNIST in a Web Worker to at least 0.90 test accuracy, on the relaxed-SIMD build', async () => {
    const { page, w } = await open();
    expect(await page.textContent('#stat-build')).toBe('relaxed SIMD');
    expect(page.workers()).toHaveLength(1);
    expect(w.wasm).toEqual(['/relaxed.wasm']);
    await train(page, { epochs: 2 });

    const v = await view(page);
    expect(v.build).toBe('relaxed');
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
    const cells = await page.$$eval('#digits li', (lis) =>
      lis.map((li) => ({ cls: li.className, guess: li.querySelector('.pred')!.textContent!, truth: li.querySelector('.truth')!.textContent! })));
    expect(cells.map((c) => Number(c.truth))).toEqual(Array.from(digits.test.y.subarray(0, 40)));
    for (const c of cells) {
      expect(c.guess).toMatch(/^\d$/);
      expect(c.cls).toBe(c.guess === c.truth ? 'right' : 'wrong');
    }
    expect(cells.filter((c) => c.cls === 'right').length).toBeGreaterThanOrEqual(32);

    await page.screenshot({ path: join(ARTIFACTS, 'demo-desktop.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    // let the resized layout paint before the picture (a shot straight after the resize caught half-painted cells)
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
    await page.screenshot({ path: join(ARTIFACTS, 'demo-phone.png'), fullPage: true });
    // nothing wider than a phone screen
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(w.problems).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('compare mode: plain GD, momentum and Nesterov from the same weights on the same batches, three curves on one chart', async () => {
    const { page, w } = await open();
    await train(page, { epochs: 2, compare: true });
    const v = await view(page);
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
    // let the resized layout paint before the picture (a shot straight after the resize caught half-painted cells)
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
    await page.screenshot({ path: join(ARTIFACTS, 'demo-compare-phone.png'), fullPage: true });
    expect(w.problems).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('stop ends a run early; reset clears the charts and the controls', async () => {
    const { page, w } = await open(PHONE);
    await page.fill('input[name="learningRate"]', '0.02');
    await page.fill('input[name="epochs"]', '100');
    await page.click('#start-button');
    await page.waitForFunction(() => ((window as unknown as { mwDemo: DemoView }).mwDemo.runs[0]?.loss ?? 0) > 0, undefined, { timeout: 20_000 });
    expect(await page.isDisabled('input[name="epochs"]')).toBe(true);
    await page.click('#stop-button');
    await page.waitForSelector('body[data-state="stopped"]', { timeout: 20_000 });
    expect((await view(page)).runs[0]!.accuracy.length).toBeLessThan(100);
    await page.click('#reset-button');
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect((await view(page)).runs).toEqual([]);
    expect(await page.inputValue('input[name="epochs"]')).toBe('5');
    expect(await page.inputValue('input[name="learningRate"]')).toBe('0.05');
    expect(w.problems).toEqual([]);
    await page.close();
  }, TIMEOUT);
});
