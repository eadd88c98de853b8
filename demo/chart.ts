// A small line chart on a canvas: axes with round ticks, one polyline per series, crisp on
// high-DPI screens, redrawn at most once per frame and whenever its box changes size.
import { niceTicks } from '../src/cli/compare/ticks.js';

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  label: string;
  color: string;
  points: Point[];
  /** draw a dot at every point (for per-epoch values) */
  markers?: boolean;
  dash?: number[];
}

export interface ChartOptions {
  xLabel: string;
  /** the x axis spans [0, xMax()] */
  xMax: () => number;
  /** the y axis spans at least this range; the data may widen it up to `yCap` */
  yMin: number;
  yMax: number;
  yCap?: number;
  /** the y range also grows below yMin to fit the data (accuracy charts start near the data) */
  fitBelow?: boolean;
  /** a tick label; `step` is the distance between ticks */
  formatY: (v: number, step: number) => string;
  empty: string;
  /** width kept for the y labels, so that charts stacked above each other share their x axis */
  labelWidth?: number;
}

export class LineChart {
  series: Series[] = [];
  private readonly ctx: CanvasRenderingContext2D;
  private frame = 0;

  constructor(readonly canvas: HTMLCanvasElement, private readonly options: ChartOptions) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    new ResizeObserver(() => this.invalidate()).observe(canvas);
    this.invalidate();
  }

  invalidate(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const { canvas, ctx, options: o } = this;
    const css = getComputedStyle(canvas);
    const fg = css.getPropertyValue('--chart-fg').trim() || '#333';
    const grid = css.getPropertyValue('--chart-grid').trim() || '#ddd';
    const muted = css.getPropertyValue('--chart-muted').trim() || '#777';
    const font = `12px ${css.fontFamily}`;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (w === 0 || h === 0) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = font;

    // y range: the configured span, widened to the data (finite points only), capped
    let lo = o.yMin, hi = o.yMax;
    for (const s of this.series) {
      for (const p of s.points) {
        if (!Number.isFinite(p.y)) continue;
        hi = Math.max(hi, Math.min(p.y, o.yCap ?? Infinity));
        // a little room below the lowest point, so its marker clears the axis
        if (o.fitBelow) lo = Math.min(lo, p.y - 0.04 * (o.yMax - o.yMin));
      }
    }
    const yTicks = niceTicks(lo, hi, h < 200 ? 4 : 5, { cover: true });
    lo = yTicks[0]!;
    hi = yTicks[yTicks.length - 1]!;
    const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;
    const fmt = (v: number) => o.formatY(v, yStep);
    const xMax = Math.max(1, o.xMax());
    const xTicks = niceTicks(0, xMax, Math.max(2, Math.min(10, Math.floor(w / 70))), { cover: true }).filter((t) => t <= xMax + 1e-9);

    const labelWidth = Math.max(o.labelWidth ?? 0, ...yTicks.map((t) => ctx.measureText(fmt(t)).width));
    const left = Math.ceil(labelWidth) + 14, right = 12, top = 10, bottom = 38;
    const pw = w - left - right, ph = h - top - bottom;
    const X = (x: number) => left + (x / xMax) * pw;
    const Y = (y: number) => top + (1 - (y - lo) / (hi - lo)) * ph;

    ctx.lineWidth = 1;
    ctx.strokeStyle = grid;
    ctx.fillStyle = muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of yTicks) {
      const y = Math.round(Y(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke();
      ctx.fillText(fmt(t), left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of xTicks) {
      const x = Math.round(X(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke();
      ctx.fillText(formatX(t), x, top + ph + 5);
    }
    ctx.fillText(o.xLabel, left + pw / 2, top + ph + 21);

    const drawn = this.series.filter((s) => s.points.length > 0);
    if (drawn.length === 0) {
      ctx.fillStyle = muted;
      ctx.textBaseline = 'middle';
      ctx.fillText(o.empty, left + pw / 2, top + ph / 2);
      return;
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - 4, pw + 4, ph + 8);
    ctx.clip();
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    for (const s of drawn) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dash ?? []);
      ctx.beginPath();
      let pen = false;
      for (const p of s.points) {
        if (!Number.isFinite(p.y)) { pen = false; continue; }
        const y = Y(Math.min(p.y, hi));
        if (pen) ctx.lineTo(X(p.x), y); else ctx.moveTo(X(p.x), y);
        pen = true;
      }
      ctx.stroke();
      ctx.setLineDash([]);
      if (s.markers || s.points.length === 1) {
        for (const p of s.points) {
          if (!Number.isFinite(p.y)) continue;
          ctx.beginPath();
          ctx.arc(X(p.x), Y(Math.min(p.y, hi)), 3.5, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
    }
    ctx.restore();
    ctx.strokeStyle = fg;
    ctx.beginPath();
    ctx.moveTo(left + 0.5, top);
    ctx.lineTo(left + 0.5, top + ph + 0.5);
    ctx.lineTo(left + pw, top + ph + 0.5);
    ctx.stroke();
  }
}

function formatX(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

