// Level sets of a function of two variables by marching squares: sample f on a grid, find where
// each cell's edges cross the level (linear interpolation), and chain the crossings into polylines.

export type Point = [number, number];

export interface Sampled {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  nx: number;
  ny: number;
  /** (nx + 1) × (ny + 1) values, row j (y) after row j − 1 */
  v: Float64Array;
}

export function sample(f: (x: number, y: number) => number, xr: readonly [number, number], yr: readonly [number, number], nx: number, ny: number): Sampled {
  const dx = (xr[1] - xr[0]) / nx, dy = (yr[1] - yr[0]) / ny;
  const v = new Float64Array((nx + 1) * (ny + 1));
  for (let j = 0; j <= ny; j++) for (let i = 0; i <= nx; i++) v[j * (nx + 1) + i] = f(xr[0] + i * dx, yr[0] + j * dy);
  return { x0: xr[0], y0: yr[0], dx, dy, nx, ny, v };
}

// corners a (i, j), b (i+1, j), c (i+1, j+1), d (i, j+1) set bits 1, 2, 4, 8 when above the level;
// edges 0 bottom (a–b), 1 right (b–c), 2 top (d–c), 3 left (a–d)
const SEGMENTS: ReadonlyArray<ReadonlyArray<readonly [number, number]>> = [
  [], [[3, 0]], [[0, 1]], [[3, 1]], [[1, 2]], [], [[0, 2]], [[3, 2]],
  [[3, 2]], [[0, 2]], [], [[1, 2]], [[3, 1]], [[0, 1]], [[3, 0]], [],
];

/** polylines (data coordinates) where f = level */
export function contour(s: Sampled, level: number): Point[][] {
  const { nx, ny, v } = s;
  const at = (i: number, j: number): number => v[j * (nx + 1) + i]!;
  // an edge crossing is named by its edge: horizontal edges 'h' at (i, j), vertical 'v' at (i, j)
  const points = new Map<number, Point>();
  const links = new Map<number, number[]>();
  const H = 0, V = 1;
  const key = (kind: number, i: number, j: number): number => ((j * (nx + 2) + i) << 1) | kind;
  const crossing = (e: number, i: number, j: number): number => {
    let k: number, p: Point;
    const lerp = (va: number, vb: number): number => (level - va) / (vb - va);
    switch (e) {
      case 0: k = key(H, i, j); p = [s.x0 + (i + lerp(at(i, j), at(i + 1, j))) * s.dx, s.y0 + j * s.dy]; break;
      case 2: k = key(H, i, j + 1); p = [s.x0 + (i + lerp(at(i, j + 1), at(i + 1, j + 1))) * s.dx, s.y0 + (j + 1) * s.dy]; break;
      case 3: k = key(V, i, j); p = [s.x0 + i * s.dx, s.y0 + (j + lerp(at(i, j), at(i, j + 1))) * s.dy]; break;
      default: k = key(V, i + 1, j); p = [s.x0 + (i + 1) * s.dx, s.y0 + (j + lerp(at(i + 1, j), at(i + 1, j + 1))) * s.dy]; break;
    }
    if (!points.has(k)) points.set(k, p);
    return k;
  };
  const link = (a: number, b: number): void => {
    (links.get(a) ?? links.set(a, []).get(a)!).push(b);
    (links.get(b) ?? links.set(b, []).get(b)!).push(a);
  };
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const va = at(i, j), vb = at(i + 1, j), vc = at(i + 1, j + 1), vd = at(i, j + 1);
      if (![va, vb, vc, vd].every(Number.isFinite)) continue;
      const c = (va > level ? 1 : 0) | (vb > level ? 2 : 0) | (vc > level ? 4 : 0) | (vd > level ? 8 : 0);
      let segs = SEGMENTS[c]!;
      if (c === 5 || c === 10) {
        // saddle: the centre decides which pair of corners the level separates
        const above = (va + vb + vc + vd) / 4 > level;
        segs = (c === 5) === above ? [[0, 1], [3, 2]] : [[3, 0], [1, 2]];
      }
      for (const [e1, e2] of segs) link(crossing(e1, i, j), crossing(e2, i, j));
    }
  }
  // chain: start from open ends first, then close the remaining loops
  const lines: Point[][] = [];
  const visit = (start: number): void => {
    const line: Point[] = [points.get(start)!];
    let prev = -1, cur = start;
    for (;;) {
      const ns = links.get(cur) ?? [];
      links.delete(cur);
      const next = ns.find((n) => n !== prev && links.has(n));
      if (next === undefined) {
        if (line.length > 2 && ns.includes(start)) line.push(line[0]!); // a closed loop
        break;
      }
      line.push(points.get(next)!);
      prev = cur;
      cur = next;
    }
    if (line.length > 1) lines.push(line);
  };
  for (const [k, ns] of links) if (ns.length === 1) visit(k);
  for (const k of [...links.keys()]) if (links.has(k)) visit(k);
  return lines;
}

/** `count` levels spaced evenly on a log scale from min to max */
export function geometricLevels(min: number, max: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => min * Math.pow(max / min, i / (count - 1)));
}
