// The whole picture: a header that states the fairness rule, one row per problem (loss curves, and
// the contour map, the weight or the test accuracy beside them), then the lr × momentum heat maps.
import type { Report, ProblemResult } from './compare.js';
import { TUNE_LR_FACTORS, TUNE_MOMENTA } from './compare.js';
import { lossPanel, contourPanel, weightPanel, accuracyPanel, heatPanel } from './charts.js';
import { el, text, esc, FONT, INK, MUTED, type Box } from './svg.js';

const WIDTH = 1200;
const MARGIN = 28;
const GAP = 24;
const PANEL_W = (WIDTH - 2 * MARGIN - GAP) / 2;
const PANEL_H = 400;
const HEAT_H = 430;

export function renderReport(report: Report): string {
  const parts: string[] = [];
  let y = MARGIN;
  parts.push(text(MARGIN, y + 22, 'momentum-wasm compare', { 'font-size': 24, 'font-weight': 700, fill: INK }));
  const rule = report.tuned
    ? `each optimizer shown at its best of the same grid: learning rate × {${TUNE_LR_FACTORS.map(frac).join(', ')}}, and momentum ∈ {${TUNE_MOMENTA.join(', ')}} for momentum and Nesterov (lowest final training loss)`
    : 'the same learning rate (and momentum) for every optimizer';
  parts.push(text(MARGIN, y + 46, `Every optimizer starts from the same weights and trains on the same batches in the same order (seed ${report.seed});`, { 'font-size': 13.5, fill: MUTED }));
  parts.push(text(MARGIN, y + 64, `${rule}.`, { 'font-size': 13.5, fill: MUTED }));
  y += 88;

  report.problems.forEach((res, i) => {
    parts.push(rowHeader(res, y));
    y += 54;
    const left: Box = { x: MARGIN, y, w: PANEL_W, h: PANEL_H };
    const right: Box = { x: MARGIN + PANEL_W + GAP, y, w: PANEL_W, h: PANEL_H };
    parts.push(lossPanel(res, left, `p${i}-loss`));
    const p = res.problem;
    if (p.kind === 'surface') parts.push(contourPanel(res, right, `p${i}-map`));
    else if (p.name === 'linear') parts.push(weightPanel(res, right, `p${i}-w`, 2));
    else if (res.runs.some((r) => r.testAccuracy.length)) parts.push(accuracyPanel(res, right, `p${i}-acc`));
    y += PANEL_H + 22;
    parts.push(el('line', { x1: MARGIN, y1: y - 8, x2: WIDTH - MARGIN, y2: y - 8, stroke: '#e4e8ee' }));
  });

  if (report.grids.length) {
    parts.push(text(MARGIN, y + 20, 'Learning rate × momentum', { 'font-size': 18, 'font-weight': 700, fill: INK }));
    parts.push(text(MARGIN, y + 40,
      'Heavy-ball momentum on the quadratics. Theory: stable exactly when 0 < lr·λ < 2(1 + β) for every Hessian eigenvalue λ, so the largest one sets the edge.',
      { 'font-size': 13, fill: MUTED }));
    y += 56;
    report.grids.forEach((g, i) => {
      const col = i % 2;
      const box: Box = { x: MARGIN + col * (PANEL_W + GAP), y, w: PANEL_W, h: HEAT_H };
      const res = report.problems.find((p) => p.problem.name === g.problem);
      const mark = res && !res.tuned ? { learningRate: res.learningRate, momentum: res.momentum } : undefined;
      parts.push(heatPanel(g, box, `g${i}`, mark));
      if (col === 1 || i === report.grids.length - 1) y += HEAT_H + 16;
    });
  }
  parts.push(text(MARGIN, y + 14, `momentum-wasm · ${report.simd} SIMD build · optimizers: ${report.optimizers.join(', ')}`, { 'font-size': 11, fill: MUTED }));
  const height = Math.ceil(y + 34);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    el('svg', { xmlns: 'http://www.w3.org/2000/svg', width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, 'font-family': FONT },
      el('title', {}, esc('momentum-wasm compare')),
      el('rect', { width: WIDTH, height, fill: 'white' }),
      ...parts) + '\n';
}

function rowHeader(res: ProblemResult, y: number): string {
  const p = res.problem;
  const same = res.fairness.initialWeights ? 'same start for all' : 'DIFFERENT starts';
  const batches = p.kind === 'data'
    ? res.fairness.sameBatches ? `, same ${res.steps} batches in the same order` : ', DIFFERENT batches'
    : '';
  const length = res.epochs !== null ? `${res.epochs} epoch${res.epochs === 1 ? '' : 's'} (${res.steps} steps)` : `${res.steps} steps`;
  const setting = res.tuned ? `tuned around lr ${res.learningRate}` : `lr ${res.learningRate}, momentum ${res.momentum}`;
  return text(MARGIN, y + 18, p.title, { 'font-size': 18, 'font-weight': 700, fill: INK }) +
    text(MARGIN, y + 38, `${p.formula}  ·  ${setting}  ·  ${length}  ·  ${same}${batches}`, { 'font-size': 13, fill: MUTED });
}

function frac(f: number): string {
  return f >= 1 ? String(f) : `1/${Math.round(1 / f)}`;
}
