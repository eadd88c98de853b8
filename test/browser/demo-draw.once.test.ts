// The demo's drawing pad in headless Chromium: the CNN (the page's default model) trains briefly
// on the first digits (?train=N&test=M keeps the runs short; users get all 70,000), then real
// test digits are drawn onto the pad, with the mouse on a desktop and with a finger on a phone, and
// the page must read each as its label. Reading the pad while the model trains must not change
// the training. Screenshots of the pad with a digit go to test/artifacts/.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadMnist, type Digits } from '../../src/data/mnist.js';
import { ARTIFACTS, describeInBrowser } from './harness.js';
import { demoView, openDemo, PHONE, settle, startDemoSite, TIMEOUT, trainDemo, waitForRunEnd, type DemoSite, type DemoView } from './demo-site.js';

/** a pen stroke through points in the pixel coordinates of a 28 x 28 digit */
type Stroke = Array<[x: number, y: number]>;

/**
 * A digit as pen strokes along its horizontal runs of pixels at least half inked. A run that
 * overlaps one in the row above continues that stroke, back and forth like a plough, so the pen
 * is lifted only between separate parts (each input event costs the test a frame).
 */
function strokes(digits: Digits, i: number): Stroke[] {
  const done: Stroke[] = [];
  let open: { stroke: Stroke; x0: number; x1: number }[] = [];
  for (let y = 0; y < 28; y++) {
    const next: typeof open = [];
    for (let x = 0; x < 28; x++) {
      if (digits.x[i * 784 + y * 28 + x]! < 0.5) continue;
      const x0 = x;
      while (x + 1 < 28 && digits.x[i * 784 + y * 28 + x + 1]! >= 0.5) x++;
      const k = open.findIndex((o) => o.x0 <= x && x0 <= o.x1);
      const stroke = k >= 0 ? open.splice(k, 1)[0]!.stroke : [];
      // continue from the end the pen is at
      const [lx] = stroke.at(-1) ?? [x0];
      stroke.push(...(Math.abs(lx - x0) <= Math.abs(lx - x) ? [[x0, y], [x, y]] : [[x, y], [x0, y]]) as Stroke);
      next.push({ stroke, x0, x1: x });
    }
    done.push(...open.map((o) => o.stroke));
    open = next;
  }
  return [...done, ...open.map((o) => o.stroke)];
}

/** Where pixel (x, y) of a 28 x 28 digit lies on the pad: the digit fills the pad as it fills its field. */
async function padScale(page: Page): Promise<(x: number, y: number) => { x: number; y: number }> {
  const pad = page.locator('#pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const s = box.width / 28;
  return (x, y) => ({ x: box.x + (x + 0.5) * s, y: box.y + (y + 0.5) * s });
}

async function drawWithMouse(page: Page, lines: Stroke[]): Promise<void> {
  const at = await padScale(page);
  for (const [first, ...rest] of lines) {
    const a = at(...first!);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    for (const p of rest) {
      const b = at(...p);
      await page.mouse.move(b.x, b.y);
    }
    await page.mouse.up();
  }
}

/** Real touch input (what a finger sends), through the DevTools protocol. */
async function drawWithFinger(page: Page, lines: Stroke[]): Promise<void> {
  const at = await padScale(page);
  const cdp = await page.context().newCDPSession(page);
  for (const [first, ...rest] of lines) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(...first!)] });
    for (const p of rest) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(...p)] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
  await cdp.detach();
}

/** The pad's view once the worker has read the latest ink. */
async function padRead(page: Page): Promise<DemoView['pad']> {
  await page.waitForFunction(() => {
    const p = (window as unknown as { mwDemo: DemoView }).mwDemo.pad;
    return p.shown === p.ink && !p.busy;
  }, undefined, { timeout: 10_000 });
  return (await demoView(page)).pad;
}

/** The first `n` grid digits the trained model reads right from the raw test image, with different labels. */
async function digitsReadRight(page: Page, n: number): Promise<number[]> {
  const cells = await page.$$eval('#digits li', (lis) => lis.map((li) => li.className));
  const picked: number[] = [];
  cells.forEach((cls, i) => {
    if (cls === 'right' && picked.length < n && !picked.some((j) => test.y[j] === test.y[i])) picked.push(i);
  });
  expect(picked).toHaveLength(n);
  return picked;
}

/** The 28 x 28 picture of "what the model sees", as values in [0, 1] (it is drawn dark on light). */
const previewPixels = (page: Page) => page.$eval('#pad-input', (c) => {
  const rgba = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
  return Array.from({ length: 784 }, (_, p) => (255 - rgba[p * 4]!) / 255);
});

let test: Digits;

describeInBrowser('the drawing pad in Chromium', () => {
  let site: DemoSite;

  beforeAll(async () => {
    [site, { test }] = await Promise.all([startDemoSite(), loadMnist({ trainRows: 0, testRows: 40 })]);
  }, 120_000);

  afterAll(async () => {
    await site?.close();
  });

  it('the CNN, trained briefly, reads test digits drawn on the pad with the mouse as their labels; probabilities sum to 1', async () => {
    const { page, w } = await openDemo(site, { query: '?train=6000&test=1000' });
    // before any training there is no model to ask
    await drawWithMouse(page, [[[10, 10], [14, 20]]]);
    expect((await padRead(page)).digit).toBeNull();
    expect(await page.textContent('#pad-caption')).toBe('Train a model to read your digit');
    await page.click('#pad-clear');

    await trainDemo(page, { epochs: 1 });
    const v = await demoView(page);
    expect(v.runs).toHaveLength(1);
    expect(v.runs[0]!.accuracy[0]).toBeGreaterThan(0.9);

    for (const [n, i] of (await digitsReadRight(page, 2)).entries()) {
      const label = test.y[i]!;
      await drawWithMouse(page, strokes(test, i));
      const pad = await padRead(page);
      expect(pad.by).toEqual({ model: 'cnn', run: 'momentum β=0.9', epochs: 1, training: false });
      expect(pad.digit, `test digit ${i}, a ${label}`).toBe(label);
      expect(Math.abs(pad.probabilities!.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      // the page shows the same: the big digit, the highlighted bar, ten percentages
      expect(await page.textContent('#pad-digit')).toBe(String(label));
      expect(await page.$$eval('#pad-bars li', (lis) => lis.findIndex((li) => li.classList.contains('best')))).toBe(label);
      expect(await page.$$eval('#pad-bars .bar-value', (els) => els.map((e) => e.textContent))).toEqual(pad.probabilities!.map(() => expect.stringMatching(/^\d+(\.\d)?%$/)));
      // what the model sees, framed from the strokes, is close to the test digit they were drawn from
      const seen = await previewPixels(page);
      const diff = seen.reduce((a, v, p) => a + Math.abs(v - test.x[i * 784 + p]!), 0) / 784;
      // measured: 0.04 and 0.06; a blank picture differs by 0.13, the digit one pixel off by more
      expect(diff).toBeLessThan(0.09);
      if (n === 0) await page.locator('.pad-panel').screenshot({ path: join(ARTIFACTS, 'demo-pad-desktop.png') });
      await page.click('#pad-clear');
      const blank = await padRead(page);
      expect([blank.digit, blank.probabilities]).toEqual([null, null]);
      expect(await page.textContent('#pad-digit')).toBe('–');
    }
    expect(w.problems, w.problems.join("\n")).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('reading the pad while the model trains leaves the training untouched: the same run with and without drawing ends with the same weights', async () => {
    const { page, w } = await openDemo(site, { query: '?train=1000&test=200' });
    // any ink will do: the point is that the page reads it while the model trains
    const scribble: Stroke[] = [[[6, 6], [20, 8], [12, 22]], [[8, 14], [18, 14]]];
    await drawWithMouse(page, scribble);
    // run 1: the pad holds a digit, so every few batches the page asks the worker to read it
    await trainDemo(page, { epochs: 1, wait: false });
    await page.waitForFunction(() => (window as unknown as { mwDemo: DemoView }).mwDemo.pad.by?.training === true, undefined, { timeout: 20_000 });
    const during = (await demoView(page)).pad.by!;
    expect(during.epochs).toBeLessThan(1);
    await waitForRunEnd(page);
    const withPad = await padRead(page);
    expect(withPad.by!.training).toBe(false);
    const accuracyWithPad = (await demoView(page)).runs[0]!.accuracy;

    // run 2: the same settings and seed, nothing to read until it is over
    await page.click('#pad-clear');
    await page.click('#start-button');
    await waitForRunEnd(page);
    await drawWithMouse(page, scribble);
    const without = await padRead(page);
    expect(without.probabilities).toEqual(withPad.probabilities); // bit for bit
    expect((await demoView(page)).runs[0]!.accuracy).toEqual(accuracyWithPad);
    expect(w.problems, w.problems.join("\n")).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('on a phone: the pad fits the screen, and a digit drawn with a finger is read without scrolling the page', async () => {
    const { page, w } = await openDemo(site, { viewport: PHONE, query: '?train=6000&test=1000', hasTouch: true });
    await trainDemo(page, { epochs: 1, model: 'mlp' });
    const [i] = await digitsReadRight(page, 1);
    await padScale(page); // scrolls the pad into view
    const box = (await page.locator('#pad').boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    expect(box.width).toBeLessThanOrEqual(PHONE.width - 24);
    // a swipe up on the pad draws instead of scrolling the page (touch-action: none)
    const scrolled = await page.evaluate(() => window.scrollY);
    await drawWithFinger(page, [Array.from({ length: 8 }, (_, k) => [14, 26 - 3 * k] as [number, number])]);
    expect((await padRead(page)).ink).toBeGreaterThan(0);
    expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);
    await page.click('#pad-clear');

    await drawWithFinger(page, strokes(test, i!));
    const pad = await padRead(page);
    expect(pad.by!.model).toBe('mlp');
    expect(pad.digit, `test digit ${i}, a ${test.y[i!]}`).toBe(test.y[i!]);
    expect(Math.abs(pad.probabilities!.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    await settle(page);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-pad-phone.png') });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(w.problems, w.problems.join("\n")).toEqual([]);
    await page.close();
  }, TIMEOUT);
});
