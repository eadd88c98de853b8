// Hand-written SVG: elements as strings, scales and axes. No dependency; every text is escaped.
import { niceTicks } from './ticks.js';

export const FONT = "Inter, 'Segoe UI', 'Helvetica Neue', Helvetica, Arial, sans-serif";
export const INK = '#1f2933';
export const MUTED = '#5f6b7a';
export const GRID = '#e4e8ee';

/** one colour per optimizer (matplotlib's tab10: red, blue, green, orange) */
export const COLORS: Readonly<Record<string, string>> = { gd: '#d62728', momentum: '#1f77b4', nesterov: '#2ca02c', adam: '#ff7f0e' };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out += ` ${k}="${esc(typeof v === 'number' ? num(v) : v)}"`;
  return out;
}

/** an element; children are already-rendered strings */
export function el(tag: string, a: Attrs = {}, ...children: string[]): string {
  return children.length ? `<${tag}${attrs(a)}>${children.join('')}</${tag}>` : `<${tag}${attrs(a)}/>`;
}

export function text(x: number, y: number, s: string, a: Attrs = {}): string {
  return el('text', { x, y, ...a }, esc(s));
}

/** a number for coordinates: two decimals, no exponent */
export function num(v: number): string {
  if (!Number.isFinite(v)) return '0';
  return (Math.round(v * 100) / 100).toString();
}

/** an SVG path through points, breaking where a point is not finite; near-duplicate points dropped */
export function pathData(points: ReadonlyArray<readonly [number, number]>, minStep = 0.4): string {
  let d = '', pen = false, lx = NaN, ly = NaN;
  const CLAMP = 1e5; // far outside any panel (clipped), but keeps the numbers short
  for (let i = 0; i < points.length; i++) {
    let [x, y] = points[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) { pen = false; continue; }
    x = Math.max(-CLAMP, Math.min(CLAMP, x));
    y = Math.max(-CLAMP, Math.min(CLAMP, y));
    const last = i === points.length - 1;
    if (pen && !last && Math.abs(x - lx) < minStep && Math.abs(y - ly) < minStep) continue;
    d += `${pen ? 'L' : 'M'}${num(x)} ${num(y)}`;
    pen = true;
    lx = x;
    ly = y;
  }
  return d;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Scale {
  (v: number): number;
  lo: number;
  hi: number;
  log: boolean;
}

export function linearScale(lo: number, hi: number, from: number, to: number): Scale {
  const s = ((v: number) => from + ((v - lo) / (hi - lo || 1)) * (to - from)) as Scale;
  return Object.assign(s, { lo, hi, log: false });
}

export function logScale(lo: number, hi: number, from: number, to: number): Scale {
  const a = Math.log10(lo), b = Math.log10(hi);
  const s = ((v: number) => from + ((Math.log10(Math.max(v, lo * 1e-3)) - a) / (b - a || 1)) * (to - from)) as Scale;
  return Object.assign(s, { lo, hi, log: true });
}

/** 'nice' tick values inside [lo, hi], about `count` of them (steps of 1, 2, 2.5 or 5 times a power of ten) */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  return niceTicks(lo, hi, count, { multiples: [1, 2, 2.5, 5] });
}

/** log-axis range and ticks: whole decades when the data span many, 1-2-5 steps when few */
export function logRange(min: number, max: number): { lo: number; hi: number; ticks: number[] } {
  const a = Math.floor(Math.log10(min)), b = Math.ceil(Math.log10(max));
  if (b - a >= 3) {
    const every = Math.ceil((b - a) / 8);
    const ticks: number[] = [];
    for (let e = a; e <= b; e += every) ticks.push(Math.pow(10, e));
    return { lo: Math.pow(10, a), hi: Math.pow(10, b), ticks };
  }
  const steps: number[] = [];
  for (let e = a - 1; e <= b; e++) for (const m of [1, 2, 5]) steps.push(m * Math.pow(10, e));
  const lo = [...steps].reverse().find((v) => v <= min * 1.0000001) ?? min;
  const hi = steps.find((v) => v >= max * 0.9999999) ?? max;
  return { lo, hi, ticks: steps.filter((v) => v >= lo * 0.999 && v <= hi * 1.001) };
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** tick label: 10⁻³ for decades far from 1, else a short plain number */
export function tickLabel(v: number, log: boolean): string {
  if (v === 0) return '0';
  const e = Math.log10(Math.abs(v));
  if (log && Math.abs(e - Math.round(e)) < 1e-9 && Math.abs(e) >= 3) {
    return '10' + String(Math.round(e)).split('').map((c) => SUPERSCRIPT[c] ?? c).join('');
  }
  return short(v);
}

/** a compact number: 3 significant digits, exponent form only when very small or large */
export function short(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

export interface AxisOptions {
  xTicks: number[];
  yTicks: number[];
  xLabel: string;
  yLabel: string;
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** grid lines across the plot (default true) */
  grid?: boolean;
}

/** frame, grid lines, ticks and labels of a plot area */
export function axes(box: Box, x: Scale, y: Scale, o: AxisOptions): string {
  const parts: string[] = [];
  const xf = o.xFormat ?? ((v: number) => tickLabel(v, x.log));
  const yf = o.yFormat ?? ((v: number) => tickLabel(v, y.log));
  const bottom = box.y + box.h;
  for (const t of o.xTicks) {
    const px = x(t);
    if (px < box.x - 0.5 || px > box.x + box.w + 0.5) continue;
    if (o.grid !== false) parts.push(el('line', { x1: px, y1: box.y, x2: px, y2: bottom, stroke: GRID }));
    parts.push(el('line', { x1: px, y1: bottom, x2: px, y2: bottom + 5, stroke: MUTED }));
    parts.push(text(px, bottom + 18, xf(t), { 'text-anchor': 'middle', 'font-size': 11.5, fill: MUTED }));
  }
  for (const t of o.yTicks) {
    const py = y(t);
    if (py < box.y - 0.5 || py > bottom + 0.5) continue;
    if (o.grid !== false) parts.push(el('line', { x1: box.x, y1: py, x2: box.x + box.w, y2: py, stroke: GRID }));
    parts.push(el('line', { x1: box.x - 5, y1: py, x2: box.x, y2: py, stroke: MUTED }));
    parts.push(text(box.x - 8, py + 4, yf(t), { 'text-anchor': 'end', 'font-size': 11.5, fill: MUTED }));
  }
  parts.push(el('rect', { x: box.x, y: box.y, width: box.w, height: box.h, fill: 'none', stroke: '#9aa5b1' }));
  parts.push(text(box.x + box.w / 2, bottom + 36, o.xLabel, { 'text-anchor': 'middle', 'font-size': 12.5, fill: INK }));
  const ly = box.y + box.h / 2;
  parts.push(text(box.x - 52, ly, o.yLabel, { 'text-anchor': 'middle', 'font-size': 12.5, fill: INK, transform: `rotate(-90 ${num(box.x - 52)} ${num(ly)})` }));
  return parts.join('');
}

/** a clip path for a box (id unique within the document), and the attribute that applies it */
export function clip(box: Box, id: string): { def: string; attr: string } {
  return { def: el('clipPath', { id }, el('rect', { x: box.x, y: box.y, width: box.w, height: box.h })), attr: `url(#${id})` };
}

/** viridis, sampled at 9 stops and interpolated; t in [0, 1] */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];
export function viridis(t: number): string {
  const u = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(u), VIRIDIS.length - 2), f = u - i;
  const a = hex(VIRIDIS[i]!), b = hex(VIRIDIS[i + 1]!);
  return '#' + a.map((c, k) => Math.round(c + (b[k]! - c) * f).toString(16).padStart(2, '0')).join('');
}
function hex(c: string): number[] {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
}
