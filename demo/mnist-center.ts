// Turns a drawing into what an MNIST digit looks like, as LeCun et al. made them: the ink's
// bounding box scaled, aspect ratio kept, so that its larger side is 20 pixels (area-averaged, so
// that thin strokes turn grey instead of vanishing), then placed in a 28 x 28 field so that its
// centre of mass lands on the field's centre. A model trained on MNIST has only ever seen digits
// framed like that: a digit drawn small, large or in a corner of the pad is read as well as one
// drawn in the middle.
//
// Coordinates: pixel (x, y) sits at x, y (not x + 0.5); measured that way, the mean centre of mass
// of the 10,000 MNIST test digits is (14.01, 13.99), and 9,997 of them have a bounding box whose
// larger side is exactly 20 pixels.
export const MNIST_SIDE = 28;
export const MNIST_BOX = 20;

/**
 * `ink`: width x height values in [0, 1], row-major, 0 where nothing is drawn. Returns the 784
 * inputs (row-major, [0, 1]) of the digit framed as MNIST frames its digits, or null when there is
 * no ink at all.
 */
export function mnistCenter(ink: ArrayLike<number>, width: number, height: number): Float32Array | null {
  if (ink.length !== width * height) throw new Error(`mnistCenter: ${ink.length} values for ${width} x ${height}`);
  const box = inkBox(ink, width, height);
  if (!box) return null;
  const scaled = scaleIntoBox(ink, width, box);
  // shift by whole pixels, as the original did: the box keeps its pixel grid, so its larger side
  // stays exactly 20 pixels wide
  const [cx, cy] = centreOfMass(scaled, MNIST_BOX, MNIST_BOX);
  const dx = Math.round(MNIST_SIDE / 2 - cx), dy = Math.round(MNIST_SIDE / 2 - cy);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < MNIST_BOX; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= MNIST_SIDE) continue;
    for (let x = 0; x < MNIST_BOX; x++) {
      const tx = x + dx;
      if (tx >= 0 && tx < MNIST_SIDE) out[ty * MNIST_SIDE + tx] = scaled[y * MNIST_BOX + x]!;
    }
  }
  return out;
}

export interface Box {
  /** first inked column and row */
  x0: number;
  y0: number;
  /** columns and rows from the first to the last inked one */
  w: number;
  h: number;
}

/** The smallest rectangle holding every pixel with ink above 0; null for a blank image. */
export function inkBox(ink: ArrayLike<number>, width: number, height: number): Box | null {
  let x0 = width, x1 = -1, y0 = height, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!(ink[y * width + x]! > 0)) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** The centre of mass of `values` (width x height), pixel (x, y) at x, y. */
export function centreOfMass(values: ArrayLike<number>, width: number, height: number): [number, number] {
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = values[y * width + x]!;
      m += v; mx += v * x; my += v * y;
    }
  }
  return m > 0 ? [mx / m, my / m] : [width / 2, height / 2];
}

/**
 * The box's ink scaled by 20 / its larger side into a 20 x 20 field, top-left aligned. Each source
 * pixel is a square of side `s` in the field; a field pixel gets the ink of every square
 * overlapping it, weighted by the overlap's area (an area average when shrinking, a box filter
 * when growing), so no ink is lost or made up.
 */
function scaleIntoBox(ink: ArrayLike<number>, width: number, box: Box): Float32Array {
  const s = MNIST_BOX / Math.max(box.w, box.h);
  const out = new Float32Array(MNIST_BOX * MNIST_BOX);
  const cols = overlaps(box.w, s), rows = overlaps(box.h, s);
  for (let y = 0; y < box.h; y++) {
    const ry = rows[y]!;
    for (let x = 0; x < box.w; x++) {
      const v = ink[(box.y0 + y) * width + box.x0 + x]!;
      if (!(v > 0)) continue;
      const rx = cols[x]!;
      for (let j = 0; j < ry.length; j += 2) {
        const row = ry[j]! * MNIST_BOX, wy = ry[j + 1]! * v;
        for (let i = 0; i < rx.length; i += 2) {
          const at = row + rx[i]!;
          out[at] = out[at]! + wy * rx[i + 1]!;
        }
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, out[i]!);
  return out;
}

/**
 * For each of `n` source pixels along one axis, the field pixels its interval [i·s, (i+1)·s)
 * overlaps, as pairs (field pixel, overlap length). The intervals end at n·s = 20, which in
 * floating point is sometimes a little more (147 · (20 / 147) = 20.0000000000000036): the clamp
 * keeps that from inking a 21st pixel.
 */
function overlaps(n: number, s: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const a = i * s, b = Math.min((i + 1) * s, MNIST_BOX);
    const pairs: number[] = [];
    for (let t = Math.floor(a); t < b; t++) {
      const len = Math.min(b, t + 1) - Math.max(a, t);
      if (len > 0) pairs.push(t, len);
    }
    return pairs;
  });
}
