// The panels of the picture: loss curves (log scale), the contour map with trajectories, the weight
// of the one-weight regression, test accuracy, and the lr × momentum heat map with the stability bound.
import type { ProblemResult } from './compare.js';
import type { SurfaceProblem } from './problems.js';
import type { GridResult } from './grid.js';
import { stabilityBound } from './grid.js';
import { smooth } from './runner.js';
import { sample, contour, geometricLevels } from './contour.js';
import { describeSettings } from './optimizers.js';
import {
  el, text, num, pathData, axes, clip, linearScale, logScale, linearTicks, logRange, short, viridis,
  COLORS, INK, MUTED, type Box, type Scale,
} from './svg.js';

// top: the panel title and a two-row legend
const PAD = { left: 66, right: 16, top: 78, bottom: 50 };

function plotArea(box: Box, extraRight = 0, top = PAD.top): Box {
  return { x: box.x + PAD.left, y: box.y + top, w: box.w - PAD.left - PAD.right - extraRight, h: box.h - top - PAD.bottom };
}

function panelTitle(box: Box, title: string): string {
  return text(box.x + 10, box.y + 20, title, { 'font-size': 13.5, 'font-weight': 600, fill: INK });
}

type Entry = { color: string; label: string; detail?: string };
type Pixel = readonly [number, number];

/** The legend under the panel title: entries in `columns` columns, row by row; each a line swatch,
 *  the name in bold and an optional detail. Outside the plot, so it never hides a curve. */
function legend(box: Box, entries: Entry[], columns = 2, note?: string): string {
  const colW = (box.w - 20) / columns;
  const nameW = Math.max(...entries.map((e) => e.label.length)) * 7.2 + 8;
  const items = entries.map((e, i) => {
    const x = box.x + 10 + (i % columns) * colW, y = box.y + 42 + Math.floor(i / columns) * 17;
    return el('line', { x1: x, y1: y - 4, x2: x + 22, y2: y - 4, stroke: e.color, 'stroke-width': 2.5 }) +
      text(x + 28, y, e.label, { 'font-size': 11.5, fill: INK, 'font-weight': 600 }) +
      (e.detail ? text(x + 28 + nameW, y, e.detail, { 'font-size': 11.5, fill: MUTED }) : '');
  });
  if (note) items.push(text(box.x + 10, box.y + 42 + Math.ceil(entries.length / columns) * 17, note, { 'font-size': 11.5, fill: MUTED }));
  return el('g', { class: 'legend' }, ...items);
}

function runEntry(r: ProblemResult['runs'][number]): { color: string; label: string; detail: string } {
  const detail = describeSettings(r.optimizer, r.learningRate, r.momentum) + (r.diverged ? ' (diverged)' : '');
  return { color: COLORS[r.optimizer] ?? INK, label: r.optimizer, detail };
}

/** Loss against updates on a log scale, one path per optimizer. */
export function lossPanel(res: ProblemResult, box: Box, id: string): string {
  const problem = res.problem;
  const window = problem.kind === 'data' ? problem.smoothing : 1;
  const curves = res.runs.map((r) => (window > 1 ? smooth(r.losses.slice(0, r.steps), window) : r.losses));
  const start = Math.max(...res.runs.map((r) => r.losses[0] ?? 0));
  // the axis fits the runs that finished; a diverging curve leaves through the top, marked ✕
  let min = Infinity, max = start;
  curves.forEach((c, i) => {
    for (const v of c) {
      if (!Number.isFinite(v) || v <= 0) continue;
      min = Math.min(min, v);
      if (!res.runs[i]!.diverged) max = Math.max(max, v);
    }
  });
  if (!Number.isFinite(min)) min = start / 10 || 1e-3;
  max = Math.min(max, start * 1e3) || 1;
  min = Math.max(Math.min(min, problem.target), max * 1e-14);
  const range = logRange(min, max);
  const area = plotArea(box);
  const x = linearScale(0, Math.max(res.steps, 1), area.x, area.x + area.w);
  const y = logScale(range.lo, range.hi, area.y + area.h, area.y);
  const c = clip(area, `${id}-clip`);
  const parts: string[] = [el('defs', {}, c.def), panelTitle(box, window > 1 ? `Training loss (mean of the last ${window} batches)` : 'Loss')];
  parts.push(axes(area, x, y, { xTicks: linearTicks(0, res.steps), yTicks: range.ticks, xLabel: 'update (step)', yLabel: 'loss (log scale)' }));
  const ty = y(problem.target);
  if (ty >= area.y && ty <= area.y + area.h) {
    parts.push(el('line', { x1: area.x, y1: ty, x2: area.x + area.w, y2: ty, stroke: MUTED, 'stroke-dasharray': '2 4', 'stroke-width': 1.2 }));
    parts.push(text(area.x + area.w - 6, ty - 5, `target ${short(problem.target)}`, { 'text-anchor': 'end', 'font-size': 11, fill: MUTED }));
  }
  const lines: string[] = [];
  res.runs.forEach((r, i) => {
    const color = COLORS[r.optimizer] ?? INK;
    const pts = curves[i]!.map((v, t) => [x(t), y(Math.max(v, range.lo))] as [number, number]);
    lines.push(el('path', { class: 'curve', 'data-optimizer': r.optimizer, d: pathData(pts), fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round', 'stroke-opacity': 0.92 }));
    if (r.diverged && pts.length) {
      const exit = pts.find((p) => p[1] < area.y) ?? pts[pts.length - 1]!;
      const cx = Math.min(exit[0], area.x + area.w - 7), cy = Math.max(area.y + 7, Math.min(exit[1], area.y + area.h - 7));
      lines.push(cross(cx, cy, color), divergedLabel(cx, cy, `${r.optimizer} diverged at step ${r.divergedAt}`, color, area));
    }
  });
  parts.push(el('g', { 'clip-path': c.attr }, ...lines));
  parts.push(legend(box, res.runs.map(runEntry)));
  return el('g', { class: 'panel loss', 'data-problem': problem.name }, ...parts);
}

/** a label beside a ✕, on whichever side has room */
function divergedLabel(cx: number, cy: number, label: string, color: string, area: Box): string {
  const right = cx < area.x + area.w / 2;
  return text(right ? cx + 10 : cx - 10, cy + (cy < area.y + 20 ? 12 : -8), label, {
    'text-anchor': right ? 'start' : 'end', 'font-size': 11.5, 'font-weight': 600, fill: color, stroke: 'white', 'stroke-width': 3, 'paint-order': 'stroke',
  });
}

function cross(cx: number, cy: number, color: string): string {
  return el('path', { class: 'diverged', d: `M${num(cx - 5)} ${num(cy - 5)}L${num(cx + 5)} ${num(cy + 5)}M${num(cx - 5)} ${num(cy + 5)}L${num(cx + 5)} ${num(cy - 5)}`, stroke: color, 'stroke-width': 2.5 });
}

/** Level sets of f and every optimizer's path from the shared start. */
export function contourPanel(res: ProblemResult, box: Box, id: string): string {
  const problem = res.problem as SurfaceProblem;
  const area = plotArea(box);
  const { view } = problem;
  const x = linearScale(view.x[0], view.x[1], area.x, area.x + area.w);
  const y = linearScale(view.y[0], view.y[1], area.y + area.h, area.y);
  const c = clip(area, `${id}-clip`);
  const parts: string[] = [el('defs', {}, c.def), panelTitle(box, `Paths on the contour map of f (log-spaced levels)`)];
  parts.push(axes(area, x, y, { xTicks: linearTicks(view.x[0], view.x[1], 8), yTicks: linearTicks(view.y[0], view.y[1], 6), xLabel: 'x', yLabel: 'y' }));

  const s = sample(problem.f, view.x, view.y, 160, 120);
  const levels = geometricLevels(problem.levels.min, problem.levels.max, problem.levels.count);
  const iso: string[] = [];
  levels.forEach((level, i) => {
    const t = i / (levels.length - 1);
    const d = contour(s, level).map((line) => pathData(line.map(([a, b]) => [x(a), y(b)] as [number, number]), 0.6)).join('');
    if (d) iso.push(el('path', { class: 'level', d, fill: 'none', stroke: `rgb(${Math.round(120 + 95 * t)},${Math.round(140 + 82 * t)},${Math.round(175 + 60 * t)})`, 'stroke-width': 1 }));
  });
  // the slowest usually travels least: draw gradient descent last, on top
  const paths: string[] = [];
  for (const r of [...res.runs].reverse()) {
    const color = COLORS[r.optimizer] ?? INK;
    let pts = (r.path ?? []).map(([a, b]) => [x(a!), y(b!)] as [number, number]);
    const inside = ([px, py]: Pixel): boolean => px >= area.x && px <= area.x + area.w && py >= area.y && py <= area.y + area.h;
    if (r.diverged) {
      // a diverging path bounces far outside the map: draw it until it leaves, then mark where
      const out = pts.findIndex((p) => !inside(p));
      if (out > 0) {
        pts = pts.slice(0, out + 1);
        const [ax, ay] = pts[out - 1]!, [bx, by] = pts[out]!;
        const tx = bx > ax ? (area.x + area.w - ax) / (bx - ax) : bx < ax ? (area.x - ax) / (bx - ax) : Infinity;
        const ty = by > ay ? (area.y + area.h - ay) / (by - ay) : by < ay ? (area.y - ay) / (by - ay) : Infinity;
        const t = Math.min(tx, ty, 1);
        const cx = ax + t * (bx - ax), cy = ay + t * (by - ay);
        paths.push(cross(cx, cy, color), divergedLabel(cx, Math.max(area.y + 8, Math.min(cy, area.y + area.h - 4)), `${r.optimizer} diverged`, color, area));
      }
    }
    paths.push(el('path', { class: 'trajectory', 'data-optimizer': r.optimizer, d: pathData(pts, 0.5), fill: 'none', stroke: color, 'stroke-width': 1.7, 'stroke-linejoin': 'round', 'stroke-opacity': 0.9 }));
    // dots on the first iterates show the step lengths: short for gradient descent, growing with momentum
    const dots: string[] = [];
    let lx = Infinity, ly = Infinity;
    for (const p of pts.slice(1, 80)) {
      if (!inside(p) || Math.hypot(p[0] - lx, p[1] - ly) < 4) continue;
      dots.push(el('circle', { cx: p[0], cy: p[1], r: 2 }));
      [lx, ly] = p;
    }
    paths.push(el('g', { fill: color, 'fill-opacity': 0.85 }, ...dots));
  }
  const [sx, sy] = [x(problem.start[0]), y(problem.start[1])];
  const [mx, my] = [x(problem.minimum[0]), y(problem.minimum[1])];
  const marks =
    el('circle', { cx: sx, cy: sy, r: 5.5, fill: 'white', stroke: INK, 'stroke-width': 2 }) +
    text(sx + 9, sy - 8, 'start', { 'font-size': 11.5, fill: INK, 'font-weight': 600, stroke: 'white', 'stroke-width': 3, 'paint-order': 'stroke' }) +
    el('path', { d: star(mx, my, 8), fill: '#ffd43b', stroke: INK, 'stroke-width': 1.2 }) +
    text(mx + 10, my + 18, 'minimum', { 'font-size': 11.5, fill: INK, 'font-weight': 600, stroke: 'white', 'stroke-width': 3, 'paint-order': 'stroke' });
  parts.push(el('g', { 'clip-path': c.attr }, el('rect', { x: area.x, y: area.y, width: area.w, height: area.h, fill: '#fbfcfe' }), ...iso, ...paths, marks));
  parts.push(legend(box, res.runs.map((r) => ({ color: COLORS[r.optimizer] ?? INK, label: r.optimizer })), 4,
    'Each dot is one update (the first 80); ○ marks the shared start, ★ the minimum.'));
  return el('g', { class: 'panel contour', 'data-problem': problem.name }, ...parts);
}

function star(cx: number, cy: number, r: number): string {
  let d = '';
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5, rr = i % 2 ? r * 0.45 : r;
    d += `${i ? 'L' : 'M'}${num(cx + rr * Math.cos(a))} ${num(cy + rr * Math.sin(a))}`;
  }
  return d + 'Z';
}

/** The one weight of the linear problem against updates, with the answer w = 2. */
export function weightPanel(res: ProblemResult, box: Box, id: string, answer: number): string {
  const area = plotArea(box);
  let lo = Math.min(0, answer), hi = answer;
  for (const r of res.runs) for (const p of r.path ?? []) if (Number.isFinite(p[0]!)) { lo = Math.min(lo, p[0]!); hi = Math.max(hi, p[0]!); }
  hi = Math.min(hi, answer + 4 * Math.abs(answer)); // a diverging run would flatten the others
  lo = Math.max(lo, -3 * Math.abs(answer));
  const ticks = linearTicks(lo, hi, 6);
  const y = linearScale(Math.min(lo, ticks[0]!), Math.max(hi, ticks[ticks.length - 1]!), area.y + area.h, area.y);
  const x = linearScale(0, Math.max(res.steps, 1), area.x, area.x + area.w);
  const c = clip(area, `${id}-clip`);
  const parts: string[] = [el('defs', {}, c.def), panelTitle(box, 'The weight w (the answer is 2)')];
  parts.push(axes(area, x, y, { xTicks: linearTicks(0, res.steps), yTicks: ticks, xLabel: 'update (step)', yLabel: 'w' }));
  parts.push(el('line', { x1: area.x, y1: y(answer), x2: area.x + area.w, y2: y(answer), stroke: MUTED, 'stroke-dasharray': '2 4', 'stroke-width': 1.2 }));
  const lines = res.runs.map((r) =>
    el('path', { class: 'weight', 'data-optimizer': r.optimizer, d: pathData((r.path ?? []).map((p, t) => [x(t), y(p[0]!)] as [number, number])), fill: 'none', stroke: COLORS[r.optimizer] ?? INK, 'stroke-width': 2, 'stroke-linejoin': 'round' }),
  );
  parts.push(el('g', { 'clip-path': c.attr }, ...lines));
  parts.push(legend(box, res.runs.map((r) => ({ color: COLORS[r.optimizer] ?? INK, label: r.optimizer })), 4,
    `Dotted: the answer, w = ${answer}.`));
  return el('g', { class: 'panel weight', 'data-problem': res.problem.name }, ...parts);
}

/** Test accuracy after each epoch. */
export function accuracyPanel(res: ProblemResult, box: Box, id: string): string {
  const area = plotArea(box);
  const epochs = Math.max(1, ...res.runs.map((r) => r.testAccuracy.length));
  const all = res.runs.flatMap((r) => r.testAccuracy.filter(Number.isFinite));
  let lo = all.length ? Math.min(...all) : 0, hi = all.length ? Math.max(...all) : 1;
  const pad = Math.max(0.01, (hi - lo) * 0.15);
  lo = Math.max(0, lo - pad);
  hi = Math.min(1, hi + pad);
  const x = linearScale(0.6, epochs + 0.4, area.x, area.x + area.w);
  const y = linearScale(lo, hi, area.y + area.h, area.y);
  const c = clip(area, `${id}-clip`);
  const parts: string[] = [el('defs', {}, c.def), panelTitle(box, 'Test accuracy after each epoch')];
  parts.push(axes(area, x, y, {
    xTicks: Array.from({ length: epochs }, (_, i) => i + 1), yTicks: linearTicks(lo, hi, 6), xLabel: 'epoch', yLabel: 'test accuracy',
    xFormat: (v) => String(v), yFormat: (v) => `${Number((v * 100).toPrecision(3))}%`,
  }));
  const lines = res.runs.map((r) => {
    const color = COLORS[r.optimizer] ?? INK;
    const pts = r.testAccuracy.map((a, i) => [x(i + 1), y(a)] as [number, number]);
    return el('path', { class: 'accuracy', 'data-optimizer': r.optimizer, d: pathData(pts), fill: 'none', stroke: color, 'stroke-width': 2 }) +
      pts.map(([px, py]) => el('circle', { cx: px, cy: py, r: 3.5, fill: color, stroke: 'white', 'stroke-width': 1 })).join('');
  });
  parts.push(el('g', { 'clip-path': c.attr }, ...lines));
  parts.push(legend(box, res.runs.map((r) => ({ color: COLORS[r.optimizer] ?? INK, label: r.optimizer, detail: `best ${r.bestTestAccuracy === null ? '—' : (r.bestTestAccuracy * 100).toFixed(1) + '%'}` }))));
  return el('g', { class: 'panel accuracy', 'data-problem': res.problem.name }, ...parts);
}

/** Final loss over learning rate × momentum, diverged cells hatched, and the bound lr = 2(1 + β)/λmax. */
export function heatPanel(g: GridResult, box: Box, id: string, mark?: { learningRate: number; momentum: number }): string {
  const area = plotArea(box, 92, 44);
  const lrs = g.learningRates, ms = g.momenta;
  const ratio = lrs.length > 1 ? lrs[1]! / lrs[0]! : 2;
  const dm = ms.length > 1 ? ms[1]! - ms[0]! : 0.1;
  const x: Scale = logScale(lrs[0]! / Math.sqrt(ratio), lrs[lrs.length - 1]! * Math.sqrt(ratio), area.x, area.x + area.w);
  const y = linearScale(ms[0]! - dm / 2, ms[ms.length - 1]! + dm / 2, area.y + area.h, area.y);
  // colours run from the best final loss up to the starting loss: brightest = no progress (or worse)
  const finite = g.cells.flat().filter((c) => !c.diverged && Number.isFinite(c.finalLoss) && c.finalLoss > 0).map((c) => c.finalLoss);
  const top = g.initialLoss;
  const bottom = Math.max(Math.min(top / 10, ...finite), top * 1e-15);
  const range = logRange(bottom, top);
  const t = (v: number) => Math.log(Math.max(v, range.lo) / range.lo) / Math.log(range.hi / range.lo);
  const hatch = `${id}-hatch`, grad = `${id}-grad`;
  const c = clip(area, `${id}-clip`);
  const defs = el('defs', {}, c.def,
    el('pattern', { id: hatch, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      el('rect', { width: 6, height: 6, fill: '#eceff3' }), el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#9aa5b1', 'stroke-width': 2 })),
    el('linearGradient', { id: grad, x1: 0, y1: 1, x2: 0, y2: 0 },
      ...Array.from({ length: 11 }, (_, i) => el('stop', { offset: i / 10, 'stop-color': viridis(i / 10) }))));
  const parts: string[] = [defs, panelTitle(box, `${g.title}: heavy-ball momentum, lr × β`)];
  const cells: string[] = [];
  g.cells.forEach((row, i) => row.forEach((cell, j) => {
    const x0 = x(lrs[j]! / Math.sqrt(ratio)), x1 = x(lrs[j]! * Math.sqrt(ratio));
    const y0 = y(ms[i]! + dm / 2), y1 = y(ms[i]! - dm / 2);
    cells.push(el('rect', {
      class: cell.diverged ? 'cell diverged' : 'cell', x: x0, y: y0, width: x1 - x0 + 0.3, height: y1 - y0 + 0.3,
      fill: cell.diverged ? `url(#${hatch})` : viridis(t(cell.finalLoss)),
    }));
  }));
  const xt = logRange(x.lo, x.hi).ticks.filter((v) => v >= x.lo && v <= x.hi);
  parts.push(el('g', {}, ...cells));
  parts.push(axes(area, x, y, { grid: false, xTicks: xt, yTicks: linearTicks(0, ms[ms.length - 1]!, 5), xLabel: 'learning rate (log scale)', yLabel: 'momentum β', xFormat: short, yFormat: short }));
  // the theory: stable exactly left of lr = 2(1 + β)/λmax
  const curve: Array<[number, number]> = [];
  for (let k = 0; k <= 60; k++) {
    const b = y.lo + ((y.hi - y.lo) * k) / 60;
    curve.push([x(stabilityBound(g.lambdaMax, b)), y(b)]);
  }
  const d = pathData(curve);
  const label = `lr = 2(1 + β)/λmax, λmax = ${short(g.lambdaMax)}`;
  const [lx, ly] = curve[Math.round(curve.length * 0.62)]!;
  parts.push(el('g', { 'clip-path': c.attr },
    el('path', { d, fill: 'none', stroke: 'white', 'stroke-width': 5, 'stroke-opacity': 0.9 }),
    el('path', { class: 'bound', d, fill: 'none', stroke: '#d62728', 'stroke-width': 2.4, 'stroke-dasharray': '7 4' })));
  parts.push(text(lx - 10, ly, label, { 'text-anchor': 'end', 'font-size': 11.5, 'font-weight': 600, fill: '#b3151b', stroke: 'white', 'stroke-width': 3.5, 'paint-order': 'stroke' }));
  if (mark && mark.learningRate >= x.lo && mark.learningRate <= x.hi && mark.momentum >= y.lo && mark.momentum <= y.hi) {
    const mx = x(mark.learningRate), my = y(mark.momentum);
    parts.push(el('path', { class: 'mark', d: `M${num(mx)} ${num(my - 7)}L${num(mx + 7)} ${num(my)}L${num(mx)} ${num(my + 7)}L${num(mx - 7)} ${num(my)}Z`, fill: 'white', stroke: INK, 'stroke-width': 1.8 }));
  }
  // colour bar and key
  const bx = area.x + area.w + 22, bw = 14;
  const by = area.y, bh = area.h * 0.62;
  const bar = logScale(range.lo, range.hi, by + bh, by);
  const key: string[] = [
    text(bx - 2, by + 2 - 26, 'final loss', { 'font-size': 11.5, fill: INK, 'font-weight': 600 }),
    text(bx - 2, by + 2 - 12, `after ${g.steps} steps`, { 'font-size': 11, fill: MUTED }),
    el('rect', { x: bx, y: by, width: bw, height: bh, fill: `url(#${grad})`, stroke: '#9aa5b1' }),
  ];
  for (const v of range.ticks) {
    const py = bar(v);
    key.push(el('line', { x1: bx + bw, y1: py, x2: bx + bw + 4, y2: py, stroke: MUTED }), text(bx + bw + 7, py + 4, short(v), { 'font-size': 11, fill: MUTED }));
  }
  const ky = by + bh + 24;
  key.push(el('rect', { x: bx, y: ky, width: bw, height: bw, fill: `url(#${hatch})`, stroke: '#9aa5b1' }), text(bx + bw + 6, ky + 11, 'diverged', { 'font-size': 11.5, fill: INK }));
  key.push(el('line', { x1: bx - 2, y1: ky + 34, x2: bx + bw + 2, y2: ky + 34, stroke: '#d62728', 'stroke-width': 2.4, 'stroke-dasharray': '5 3' }), text(bx + bw + 6, ky + 38, 'theory', { 'font-size': 11.5, fill: INK }));
  if (mark) {
    const my = ky + 60;
    key.push(el('path', { d: `M${num(bx + 7)} ${num(my - 6)}L${num(bx + 13)} ${num(my)}L${num(bx + 7)} ${num(my + 6)}L${num(bx + 1)} ${num(my)}Z`, fill: 'white', stroke: INK, 'stroke-width': 1.5 }),
      text(bx + bw + 6, my + 4, 'this run', { 'font-size': 11.5, fill: INK }));
  }
  parts.push(el('g', { class: 'key' }, ...key));
  return el('g', { class: 'panel grid', 'data-problem': g.problem }, ...parts);
}
