// Shared by the demo's browser tests: the demo built as `npm run demo` builds it, served, opened
// in Chromium, trained from its own controls, and read through its console view (window.mwDemo).
import { expect } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildDemo } from '../../demo/build.js';
import { serveStatic, type StaticServer } from '../../demo/serve.js';
import { ARTIFACTS, launchChromium, watch, type PageWatch } from './harness.js';

export interface RunView { label: string; kind: string; firstLoss: number | null; loss: number; accuracy: number[]; diverged: string | null }
export interface PadView {
  ink: number;
  shown: number;
  busy: boolean;
  digit: number | null;
  probabilities: number[] | null;
  by: { model: string; run: string; epochs: number; training: boolean } | null;
}
export interface DemoView { state: string; build: string | null; threads: { count: number; reason: string | null } | null; rows: { train: number; test: number }; runs: RunView[]; pad: PadView }

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
// vitest's projects do not inherit the root testTimeout
export const TIMEOUT = 90_000;

export interface DemoSite {
  dir: string;
  digitsBytes: number;
  server: StaticServer;
  browser: Browser;
  close(): Promise<void>;
}

/** Builds the demo into a temporary folder, serves it and launches Chromium. */
export async function startDemoSite(): Promise<DemoSite> {
  const dir = await mkdtemp(join(tmpdir(), 'mw-demo-'));
  const launched = launchChromium();
  const { digitsBytes } = await buildDemo(dir);
  const [server, browser] = await Promise.all([serveStatic(dir), launched, mkdir(ARTIFACTS, { recursive: true })]);
  return {
    dir, digitsBytes, server, browser,
    async close() {
      await browser.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the page (with `query`, e.g. '?train=8000&test=2000') and waits until it is ready. */
export async function openDemo(site: DemoSite, options: { viewport?: { width: number; height: number }; query?: string; hasTouch?: boolean } = {}): Promise<{ page: Page; w: PageWatch }> {
  const page = await site.browser.newPage({ viewport: options.viewport ?? DESKTOP, hasTouch: options.hasTouch });
  const w = watch(page);
  await page.goto(site.server.url + (options.query ?? ''));
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
  expect(await page.textContent('#error'), 'the page shows an error').toBe('');
  return { page, w };
}

export const demoView = (page: Page) =>
  page.evaluate(() => (window as unknown as { mwDemo: DemoView }).mwDemo).then((v) => JSON.parse(JSON.stringify(v)) as DemoView);

/** Sets the controls, presses Start and waits for the run to end. */
export async function trainDemo(page: Page, settings: { epochs: number; compare?: boolean; model?: 'cnn' | 'mlp'; wait?: boolean }): Promise<void> {
  if (settings.model) await page.check(`input[name="model"][value="${settings.model}"]`);
  if (settings.compare) await page.check('input[name="mode"][value="compare"]');
  await page.fill('input[name="epochs"]', String(settings.epochs));
  await page.click('#start-button');
  if (settings.wait === false) return;
  await waitForRunEnd(page);
}

export async function waitForRunEnd(page: Page): Promise<void> {
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
  expect(await page.textContent('#error')).toBe('');
}

/** Two animation frames: the layout after a resize has painted. */
export const settle = (page: Page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
