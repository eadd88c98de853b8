// The "draw a digit" panel: the pad, what the model sees (the drawing framed as MNIST frames its
// digits, mnist-center.ts) and the model's probability for each digit. Predictions are asked of
// the worker at most once per animation frame, and never while an answer is still due, so the
// bars follow the pen without a queue of stale requests building up behind a busy worker.
import { mnistCenter } from './mnist-center.js';
import { DrawingPad } from './pad.js';
import { MODELS, type FromWorker, type PredictedBy, type ToWorker } from './protocol.js';

type Prediction = Extract<FromWorker, { type: 'prediction' }>;

export interface PadView {
  /** counts changes of the ink */
  ink: number;
  /** the ink count the bars show (equal to `ink` once the latest drawing is read) */
  shown: number;
  /** a request is waiting for the worker */
  busy: boolean;
  digit: number | null;
  probabilities: number[] | null;
  by: PredictedBy | null;
}

export class PadPanel {
  private readonly pad: DrawingPad;
  private readonly preview: CanvasRenderingContext2D;
  private readonly bars: { li: HTMLLIElement; fill: HTMLElement; value: HTMLElement }[];
  private ink = 0;
  private shown = 0;
  /** the ink count of the request in flight, or -1 */
  private asked = -1;
  private frame = 0;
  /** something changed since the last request: read the pad again */
  private pending = false;
  private last: { digit: number; probabilities: number[]; by: PredictedBy } | null = null;

  constructor(
    private readonly els: { pad: HTMLCanvasElement; clear: HTMLButtonElement; preview: HTMLCanvasElement; bars: HTMLOListElement; digit: HTMLElement; caption: HTMLElement },
    private readonly send: (m: ToWorker) => void,
  ) {
    this.pad = new DrawingPad(els.pad);
    this.pad.onChange = () => {
      this.ink++;
      this.schedule();
    };
    els.clear.addEventListener('click', () => this.pad.clear());
    els.preview.width = els.preview.height = 28;
    this.preview = els.preview.getContext('2d')!;
    this.bars = Array.from({ length: 10 }, (_, d) => {
      const li = document.createElement('li');
      const label = document.createElement('span');
      label.className = 'bar-digit';
      label.textContent = String(d);
      const track = document.createElement('span');
      track.className = 'bar-track';
      const fill = document.createElement('span');
      fill.className = 'bar-fill';
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'bar-value';
      li.append(label, track, value);
      return { li, fill, value };
    });
    els.bars.replaceChildren(...this.bars.map((b) => b.li));
    this.render();
  }

  /** The model changed (trained on, or a new run): read the drawing again. */
  refresh(): void {
    if (!this.pad.empty) this.schedule();
  }

  onPrediction(m: Prediction): void {
    if (m.id !== this.asked) return;
    this.asked = -1;
    this.shown = m.id;
    const p = m.probabilities;
    if (p && m.by) {
      let digit = 0;
      for (let d = 1; d < 10; d++) if (p[d]! > p[digit]!) digit = d;
      this.last = { digit, probabilities: Array.from(p), by: m.by };
    } else {
      this.last = null;
    }
    this.render();
    if (this.pending) this.schedule();
  }

  get view(): PadView {
    return { ink: this.ink, shown: this.shown, busy: this.asked >= 0, digit: this.last?.digit ?? null, probabilities: this.last?.probabilities ?? null, by: this.last?.by ?? null };
  }

  private schedule(): void {
    this.pending = true;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.read();
    });
  }

  private read(): void {
    if (this.asked >= 0) return; // onPrediction asks again
    this.pending = false;
    const ink = this.pad.empty ? null : this.pad.ink();
    const input = ink && mnistCenter(ink.values, ink.width, ink.height);
    this.drawPreview(input);
    if (!input) {
      // a blank pad: nothing to read
      this.shown = this.ink;
      this.last = null;
      this.render();
      return;
    }
    this.asked = this.ink;
    this.send({ type: 'predict', id: this.ink, input });
  }

  private drawPreview(input: Float32Array | null): void {
    const img = this.preview.createImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = 255 - Math.round((input?.[p] ?? 0) * 255);
      img.data.set([v, v, v, 255], p * 4);
    }
    this.preview.putImageData(img, 0, 0);
  }

  private render(): void {
    const last = this.pad.empty ? null : this.last;
    this.els.digit.textContent = last ? String(last.digit) : '–';
    this.els.digit.classList.toggle('none', !last);
    this.els.caption.textContent = last ? caption(last.by, last.probabilities[last.digit]!)
      : this.pad.empty ? 'Draw a digit from 0 to 9 above' : 'Train a model to read your digit';
    this.bars.forEach((b, d) => {
      const p = last?.probabilities[d] ?? 0;
      b.fill.style.width = `${(p * 100).toFixed(1)}%`;
      b.value.textContent = last ? `${(p * 100).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%` : '';
      b.li.classList.toggle('best', last?.digit === d);
    });
  }
}

function caption(by: PredictedBy, p: number): string {
  const n = +by.epochs.toFixed(by.training ? 1 : 2);
  const epochs = `${by.training ? '' : 'after '}${n} epoch${n === 1 ? '' : 's'}${by.training ? ' in' : ''}`;
  return `${(p * 100).toFixed(0)}% sure · ${MODELS[by.model].label}, ${by.run}, ${epochs}`;
}
