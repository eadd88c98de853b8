// The demo page: reads the controls, starts and stops runs in the training worker, and draws
// what it reports (loss curves, test accuracy, speed, the digit grid); the drawing pad's panel
// asks the same worker to read the digit drawn. No training happens here.
import { LineChart, type Point } from './chart.js';
import { PadPanel } from './pad-panel.js';
import { MODELS, type FromWorker, type ModelKind, type RunConfig, type RunInfo, type ToWorker } from './protocol.js';

type State = 'loading' | 'ready' | 'running' | 'stopping' | 'done' | 'stopped' | 'error';

// Okabe–Ito colours (distinguishable with colour-blindness); plain GD is also dashed
const STYLE: Record<RunInfo['kind'], { color: string; dash?: number[] }> = {
  plain: { color: '#d55e00', dash: [7, 5] },
  momentum: { color: '#0072b2' },
  nesterov: { color: '#009e73' },
};

interface RunView {
  info: RunInfo;
  firstLoss?: number;
  loss: Point[];
  accuracy: Point[];
  diverged?: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const startButton = $<HTMLButtonElement>('start-button');
const stopButton = $<HTMLButtonElement>('stop-button');
const resetButton = $<HTMLButtonElement>('reset-button');
const statusLine = $('status');
const errorBox = $('error');
const hint = $('hint');
const legend = $('legend');
const stat = { accuracy: $('stat-accuracy'), epoch: $('stat-epoch'), speed: $('stat-speed'), build: $('stat-build'), threads: $('stat-threads') };
const threadsNote = $('threads-note');
const digitList = $('digits');
const digitCaption = $('digits-caption');

let state: State = 'loading';
let build: 'relaxed' | 'plain' | null = null;
/** threads the worker's kernels run on, and why fewer than asked */
let threads: { count: number; reason: string | null } | null = null;
let config: RunConfig | null = null;
let runs: RunView[] = [];
let gridRun = 0;
let gridLabels: Uint8Array = new Uint8Array(0);
let discardUntilDone = false;
let lastSpeedDraw = 0;
/** digits the worker loaded (fewer than the full set under ?train=N&test=M) */
let rows = { train: 60_000, test: 10_000 };

const lossChart = new LineChart($<HTMLCanvasElement>('loss-chart'), {
  xLabel: 'epoch', xMax: () => config?.epochs ?? 5, yMin: 0, yMax: 0.5, yCap: 5, labelWidth: 34,
  formatY: (v, step) => v.toFixed(decimals(step)), empty: 'Press Start to train',
});
const accuracyChart = new LineChart($<HTMLCanvasElement>('accuracy-chart'), {
  xLabel: 'epoch', xMax: () => config?.epochs ?? 5, yMin: 0.9, yMax: 1, fitBelow: true, labelWidth: 34,
  formatY: (v, step) => `${(v * 100).toFixed(decimals(step * 100))}%`, empty: 'Test accuracy after each epoch',
});

function decimals(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

// the worker reads the page's query (?train=N&test=M) from its own address
const workerUrl = new URL('./worker.js', import.meta.url);
workerUrl.search = location.search;
const worker = new Worker(workerUrl, { type: 'module' });
worker.addEventListener('message', (e: MessageEvent<FromWorker>) => onMessage(e.data));
worker.addEventListener('error', (e) => showError(`The training worker failed: ${e.message || 'it could not be loaded'}`));
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

const pad = new PadPanel({
  pad: $<HTMLCanvasElement>('pad'), clear: $<HTMLButtonElement>('pad-clear'), preview: $<HTMLCanvasElement>('pad-input'),
  bars: $<HTMLOListElement>('pad-bars'), digit: $('pad-digit'), caption: $('pad-caption'),
}, (m) => send(m, m.type === 'predict' ? [m.input.buffer] : []));

const field = (name: string) => form.elements.namedItem(name) as HTMLSelectElement;
// read from the radios, not FormData, which leaves out disabled fields (all of them while training)
const selectedModel = (): ModelKind => (form.querySelector<HTMLInputElement>('input[name="model"]:checked')?.value === 'mlp' ? 'mlp' : 'cnn');

/** the hint under the controls: the chosen model's layers and the data */
function runHint(): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return `${MODELS[selectedModel()].layers}; cross-entropy; ${n(rows.train)} training and ${n(rows.test)} test digits.`;
}

/** the hidden size is the MLP's alone */
function applyModelFields(): void {
  const busy = state === 'running' || state === 'stopping';
  field('hidden').disabled = busy || selectedModel() === 'cnn';
}

// choosing a model also picks its learning-rate decay, as the CLI's defaults do
for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="model"]')) {
  radio.addEventListener('change', () => {
    field('decay').value = String(MODELS[selectedModel()].decay);
    applyModelFields();
    setHint(runHint());
  });
}

function setState(s: State, text?: string): void {
  state = s;
  document.body.dataset.state = s;
  if (text !== undefined) statusLine.textContent = text;
  const busy = s === 'running' || s === 'stopping';
  startButton.disabled = busy || s === 'loading' || s === 'error';
  stopButton.disabled = s !== 'running';
  for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) el.disabled = busy;
  applyModelFields();
}

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
  setState('error', 'Cannot train here');
}

function readConfig(): RunConfig | string {
  const f = new FormData(form);
  const num = (k: string) => Number(f.get(k));
  const c: RunConfig = {
    mode: f.get('mode') === 'compare' ? 'compare' : 'single', model: selectedModel(),
    learningRate: num('learningRate'), decay: num('decay'), momentum: num('momentum'), nesterov: f.get('nesterov') === 'on',
    batchSize: num('batchSize'), hidden: num('hidden'), epochs: num('epochs'), seed: num('seed'),
  };
  if (!(c.learningRate > 0 && c.learningRate <= 2)) return 'The learning rate must be above 0 and at most 2.';
  if (!(c.momentum >= 0 && c.momentum < 1)) return 'Momentum β must be at least 0 and below 1.';
  if (!Number.isInteger(c.epochs) || c.epochs < 1 || c.epochs > 100) return 'Epochs must be a whole number from 1 to 100.';
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) return 'The seed must be a whole number from 0 to 4294967295.';
  if (c.mode === 'compare' && c.momentum === 0) return 'Compare mode needs momentum β above 0 (β = 0 is plain gradient descent).';
  if (c.mode === 'single' && c.nesterov && c.momentum === 0) return 'Nesterov needs momentum β above 0.';
  return c;
}

function setHint(text: string, problem = false): void {
  hint.textContent = text;
  hint.classList.toggle('problem', problem);
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (state === 'running' || state === 'stopping' || !form.reportValidity()) return;
  const c = readConfig();
  if (typeof c === 'string') return setHint(c, true);
  setHint(runHint());
  config = c;
  runs = [];
  redraw();
  clearPredictions();
  setState('running', 'Starting…');
  send({ type: 'start', config: c });
  // one column (phones): bring the charts into view
  if (matchMedia('(max-width: 900px)').matches) $('loss-chart').closest('section')!.scrollIntoView({ behavior: 'smooth', block: 'start' });
});

stopButton.addEventListener('click', () => {
  if (state !== 'running') return;
  send({ type: 'stop' });
  setState('stopping', 'Stopping after this batch…');
});

resetButton.addEventListener('click', () => {
  if (state === 'running' || state === 'stopping') {
    send({ type: 'stop' });
    discardUntilDone = true;
  }
  form.reset();
  applyModelFields();
  setHint(runHint());
  config = null;
  runs = [];
  redraw();
  clearPredictions();
  stat.accuracy.textContent = '–';
  stat.accuracy.dataset.value = '';
  stat.epoch.textContent = '–';
  stat.speed.textContent = '–';
  if (state !== 'error' && state !== 'loading') setState('ready', readyText());
});

function readyText(): string {
  const t = threads ? ` · ${threads.count} thread${threads.count === 1 ? '' : 's'}` : '';
  return `Ready · ${build === 'relaxed' ? 'relaxed SIMD (FMA)' : 'plain SIMD'}${t}`;
}

function onMessage(m: FromWorker): void {
  if (m.type === 'error') return showError(`${m.name}: ${m.message}`);
  // the pad's answers belong to no run: they pass the discarding below
  if (m.type === 'prediction') return pad.onPrediction(m);
  if (m.type === 'loading') {
    const mb = (b: number) => (b / 1e6).toFixed(1);
    statusLine.textContent = `Loading the digits… ${mb(m.loaded)}${m.total ? ` of ${mb(m.total)}` : ''} MB`;
    return;
  }
  if (m.type === 'ready') {
    build = m.build;
    rows = { train: m.trainRows, test: m.testRows };
    setHint(runHint());
    stat.build.textContent = m.build === 'relaxed' ? 'relaxed SIMD' : 'plain SIMD';
    stat.build.title = m.build === 'relaxed'
      ? 'This browser runs the relaxed-SIMD build (fused multiply-add)'
      : 'This browser runs the plain 128-bit SIMD build';
    threads = { count: m.threads, reason: m.threadsReason };
    stat.threads.textContent = String(m.threads);
    stat.threads.title = m.threadsReason
      ? `The kernels run on one thread: ${m.threadsReason}`
      : m.threads === 1
        ? 'The kernels run on the training worker alone'
        : `The kernels run on ${m.threads} threads: the training worker and ${m.threads - 1} more on the same WebAssembly memory`;
    threadsNote.textContent = m.threadsReason ? `One thread: ${m.threadsReason}.` : '';
    threadsNote.hidden = !m.threadsReason;
    drawDigits(m.grid.pixels, m.grid.labels);
    setState('ready', readyText());
    return;
  }
  if (discardUntilDone) {
    if (m.type === 'done') discardUntilDone = false;
    return;
  }
  switch (m.type) {
    case 'started':
      runs = m.runs.map((info) => ({ info, loss: [], accuracy: [] }));
      gridRun = m.gridRun;
      digitCaption.textContent = runs.length > 1
        ? `Predictions of the ${runs[gridRun]!.info.label} run; wrong ones are red, the true digit in their corner.`
        : 'Predictions after each epoch; wrong ones are red, the true digit in their corner.';
      setState('running', 'Training…');
      stat.epoch.textContent = `0 / ${config!.epochs}`;
      redraw();
      pad.refresh();
      break;
    case 'loss': {
      runs[m.run]?.loss.push({ x: m.x, y: m.loss });
      lossChart.invalidate();
      if (m.run === gridRun) pad.refresh(); // the weights moved on
      const now = performance.now();
      if (m.samplesPerSec !== null && now - lastSpeedDraw > 250) {
        lastSpeedDraw = now;
        stat.speed.textContent = Math.round(m.samplesPerSec).toLocaleString('en-US');
      }
      break;
    }
    case 'first': {
      const run = runs[m.run];
      if (run) run.firstLoss = m.loss;
      break;
    }
    case 'epoch': {
      const run = runs[m.run];
      if (!run) break;
      run.accuracy.push({ x: m.epoch, y: m.testAccuracy });
      if (m.run === gridRun) {
        stat.accuracy.textContent = `${(m.testAccuracy * 100).toFixed(1)}%`;
        stat.accuracy.dataset.value = String(m.testAccuracy);
      }
      stat.speed.textContent = Math.round(m.samplesPerSec).toLocaleString('en-US');
      if (m.predictions) showPredictions(m.predictions);
      stat.epoch.textContent = `${m.epoch} / ${config!.epochs}`;
      statusLine.textContent = `Training · epoch ${m.epoch} of ${config!.epochs}`;
      redraw();
      break;
    }
    case 'diverged': {
      const run = runs[m.run];
      if (run) run.diverged = m.message;
      setHint(`${run?.info.label ?? 'A run'} diverged: ${m.message}`, true);
      redraw();
      break;
    }
    case 'done': {
      const secs = m.seconds.toFixed(1);
      const best = runs[gridRun]?.accuracy.at(-1)?.y;
      const acc = best === undefined ? '' : ` · test accuracy ${(best * 100).toFixed(1)}%`;
      if (m.stopped) setState('stopped', `Stopped after ${secs} s${acc}`);
      else setState('done', `Done in ${secs} s${acc}`);
      pad.refresh();
      break;
    }
  }
}

function redraw(): void {
  const style = (r: RunView) => STYLE[r.info.kind];
  lossChart.series = runs.map((r) => ({ label: r.info.label, points: r.loss, ...style(r) }));
  accuracyChart.series = runs.map((r) => ({ label: r.info.label, points: r.accuracy, markers: true, ...style(r) }));
  lossChart.invalidate();
  accuracyChart.invalidate();
  legend.replaceChildren(...runs.map((r) => {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = `swatch ${r.info.kind}`;
    swatch.style.setProperty('--c', STYLE[r.info.kind].color);
    const last = r.accuracy.at(-1);
    li.append(swatch, `${r.info.label}${r.diverged ? ' · diverged' : last ? ` · ${(last.y * 100).toFixed(1)}%` : ''}`);
    if (r.diverged) li.classList.add('diverged');
    return li;
  }));
}

function drawDigits(pixels: Float32Array, labels: Uint8Array): void {
  gridLabels = labels;
  const items = Array.from(labels, (label, i) => {
    const li = document.createElement('li');
    const c = document.createElement('canvas');
    c.width = 28;
    c.height = 28;
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = 255 - Math.round(pixels[i * 784 + p]! * 255);
      img.data.set([v, v, v, 255], p * 4);
    }
    ctx.putImageData(img, 0, 0);
    c.setAttribute('aria-hidden', 'true');
    const cap = document.createElement('span');
    cap.className = 'pred';
    cap.textContent = '·';
    const truth = document.createElement('span');
    truth.className = 'truth';
    truth.textContent = String(label);
    truth.title = 'the true digit';
    li.title = `a ${label}`;
    li.append(c, cap, truth);
    return li;
  });
  digitList.replaceChildren(...items);
}

function clearPredictions(): void {
  for (const [i, li] of [...digitList.children].entries()) {
    li.classList.remove('right', 'wrong');
    li.querySelector('.pred')!.textContent = '·';
    (li as HTMLElement).title = `a ${gridLabels[i]}`;
  }
}

function showPredictions(p: Uint8Array): void {
  for (const [i, li] of [...digitList.children].entries()) {
    const truth = gridLabels[i]!, guess = p[i]!;
    const ok = truth === guess;
    li.classList.toggle('right', ok);
    li.classList.toggle('wrong', !ok);
    li.querySelector('.pred')!.textContent = String(guess);
    (li as HTMLElement).title = ok ? `a ${truth}, predicted ${guess}` : `a ${truth}, wrongly predicted ${guess}`;
  }
}

// for tests and curious people in the console: a read-only view of what the page shows
Object.defineProperty(window, 'mwDemo', {
  value: Object.freeze({
    get state() { return state; },
    get build() { return build; },
    get threads() { return threads; },
    get rows() { return rows; },
    get pad() { return pad.view; },
    get runs() { return runs.map((r) => ({ label: r.info.label, kind: r.info.kind, firstLoss: r.firstLoss ?? null, loss: r.loss.length, accuracy: r.accuracy.map((p) => p.y), diverged: r.diverged ?? null })); },
  }),
});

setState('loading');
