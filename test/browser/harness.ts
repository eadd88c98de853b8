// Shared by the browser tests: finding Chromium (skip loudly, or fail under REQUIRE_BROWSER=1),
// launching it headless, and watching a page for console errors and failed requests.
import { existsSync } from 'node:fs';
import { stat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const REQUIRED = process.env.REQUIRE_BROWSER === '1';
export const HAVE_BROWSER = existsSync(CHROMIUM_PATH);

const ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-quic', '--disable-sync', '--disable-dev-shm-usage',
];

/**
 * describe() for tests that need Chromium. Without it: skipped with a loud message, or, when
 * REQUIRE_BROWSER=1 (CI), one failing test that says what is missing.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (HAVE_BROWSER) {
    describe(name, body);
    return;
  }
  const how = `no Chromium at ${CHROMIUM_PATH} (install it: apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (REQUIRED) {
    describe(name, () => {
      it('has a Chromium to run in (REQUIRE_BROWSER=1)', () => {
        throw new Error(`REQUIRE_BROWSER=1 but ${how}`);
      });
    });
    return;
  }
  const bar = '!'.repeat(100);
  console.warn(`\n${bar}\n!!! BROWSER TESTS SKIPPED (${name}): ${how}.\n!!! Set REQUIRE_BROWSER=1 to make a missing browser fail the run.\n${bar}\n`);
  describe.skip(name, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 90_000 });
}

export interface PageWatch {
  /** console errors, uncaught exceptions, failed requests and HTTP errors, in order */
  problems: string[];
  /** paths of every .wasm the page (or its workers) fetched */
  wasm: string[];
}

export function watch(page: Page): PageWatch {
  const w: PageWatch = { problems: [], wasm: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') w.problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => w.problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => w.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.wasm')) w.wasm.push(path);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) w.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('worker', (worker) => {
    worker.on('console', (m) => {
      if (m.type() === 'error') w.problems.push(`worker console.error: ${m.text()}`);
    });
  });
  return w;
}

async function newestMtime(dir: string, ext: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, await newestMtime(p, ext));
    else if (e.name.endsWith(ext)) newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

/**
 * The browser tests load the package's own dist/. `npm ci` builds it (prepare), but while
 * src/ is being edited it can be older than src/: then compile it again (tsc, as build:ts does).
 */
export async function ensureDist(): Promise<void> {
  const index = join(ROOT, 'dist', 'index.js');
  const built = existsSync(index) ? (await stat(index)).mtimeMs : -1;
  if (built >= (await newestMtime(join(ROOT, 'src'), '.ts'))) return;
  console.log(`browser tests: dist/ is ${built < 0 ? 'missing' : 'older than src/'}; compiling it (tsc -p tsconfig.json)`);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  // type errors still emit JavaScript; only a missing or unchanged dist/ is fatal here
  const after = existsSync(index) ? (await stat(index)).mtimeMs : -1;
  if (after <= built) throw new Error(`could not compile dist/ for the browser tests:\n${r.stdout}${r.stderr}`);
  if (r.status !== 0) {
    const lines = r.stdout.split('\n').filter((l) => /error TS/.test(l));
    console.warn(`browser tests: tsc reported ${lines.length} type errors but emitted dist/; the first:\n${lines.slice(0, 5).join('\n')}`);
  }
}
