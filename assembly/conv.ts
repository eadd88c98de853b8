// Convolution as im2col + the packed GEMM: TypeScript walks the batch's output positions in
// chunks, im2col lays a chunk's receptive fields out as rows of `col` (np x K, K = KH*KW*C, entries
// ordered [kh][kw][c] to match a TensorFlow [KH, KW, C, F] kernel read as a K x F matrix), and gemm
// does the arithmetic. col2im_add is the exact adjoint, for the input gradient.
//
// Geometry, NHWC: input H x W x C, kernel KH x KW, strides SH, SW, padding top PT and left PL (the
// bottom and right padding are whatever OH, OW imply), output OH x OW. Position p of the batch is
// (n*OH + oh)*OW + ow.
//
// Why the inner loop is one copy per kernel row: for a fixed (p, kh) the in-bounds kw form one
// interval, and over that interval both the col entries and the input pixels (C channels each, at
// consecutive iw) are contiguous. So each row of the receptive field is zeros | one run | zeros.

// Runs this long (floats) go to memory.copy / memory.fill; shorter ones are cheaper as a v128 loop
// than V8's out-of-line bulk-memory call (measured on im2col: 24-float runs ~25% slower through
// memory.copy, 384-float runs ~30% faster).
const BULK_FLOATS: i32 = 64;

// @ts-ignore: decorator
@inline function copy_floats(dst: usize, src: usize, n: i32): void {
  if (n >= BULK_FLOATS) { memory.copy(dst, src, <usize>n << 2); return; }
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(dst + o, v128.load(src + o)); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(dst + o, load<f32>(src + o)); }
}

// @ts-ignore: decorator
@inline function zero_floats(dst: usize, n: i32): void {
  if (n >= BULK_FLOATS) { memory.fill(dst, 0, <usize>n << 2); return; }
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

// dst[0:n] += src[0:n]
// @ts-ignore: decorator
@inline function add_floats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o)); }
}

export function zero_f32(ptr: usize, n: i32): void {
  zero_floats(ptr, n);
}

// Rows [0, np) of col = receptive fields of positions [p0, p0 + np); zero where the field hangs
// over the padding. Every entry of those rows is written.
export function im2col(x: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32,
                       OH: i32, OW: i32, p0: i32, np: i32, col: usize): void {
  const K = KH * KW * C;
  const fieldRow = KW * C; // floats of one kernel row in col
  if (np <= 0) return; // (and OW, OH >= 1 below: no division by zero)
  let dst = col;
  // the position's coordinates advance with p: one division up front, none per position
  let ow = p0 % OW, oh = (p0 / OW) % OH, n = p0 / (OW * OH);
  for (let q = 0; q < np; q++) {
    const iw0 = ow * SW - PL;
    const kwLo = max(0, -iw0), kwHi = min(KW, W - iw0); // in-bounds kw: [kwLo, kwHi)
    const ih0 = oh * SH - PT;
    if (kwLo == 0 && kwHi == KW && ih0 >= 0 && ih0 + KH <= H) {
      // the field lies inside the image (most positions): KH plain copies, no bounds to check
      let src = x + ((<usize>((n * H + ih0) * W + iw0) * C) << 2);
      const srcStep = <usize>(W * C) << 2, dstStep = <usize>fieldRow << 2;
      let d = dst;
      for (let kh = 0; kh < KH; kh++) { copy_floats(d, src, fieldRow); src += srcStep; d += dstStep; }
    } else if (kwHi <= kwLo) {
      zero_floats(dst, K);
    } else {
      const lead = kwLo * C, run = (kwHi - kwLo) * C, trail = fieldRow - lead - run;
      for (let kh = 0; kh < KH; kh++) {
        const d = dst + (<usize>(kh * fieldRow) << 2);
        const ih = ih0 + kh;
        if (ih < 0 || ih >= H) { zero_floats(d, fieldRow); continue; }
        const src = x + ((<usize>((n * H + ih) * W + iw0 + kwLo) * C) << 2);
        zero_floats(d, lead);
        copy_floats(d + (<usize>lead << 2), src, run);
        zero_floats(d + (<usize>(lead + run) << 2), trail);
      }
    }
    dst += <usize>K << 2;
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
  }
}

// The adjoint of im2col: dx[n, ih, iw, c] += every in-bounds entry of col rows [0, np) that
// im2col would have read from there. Padding entries of col are ignored. The caller zeroes dx.
export function col2im_add(col: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32,
                           OH: i32, OW: i32, p0: i32, np: i32, dx: usize): void {
  const K = KH * KW * C;
  const fieldRow = KW * C;
  if (np <= 0) return;
  let src = col;
  let ow = p0 % OW, oh = (p0 / OW) % OH, n = p0 / (OW * OH);
  for (let q = 0; q < np; q++) {
    const iw0 = ow * SW - PL;
    const kwLo = max(0, -iw0), kwHi = min(KW, W - iw0);
    const ih0 = oh * SH - PT;
    if (kwHi > kwLo) {
      const lead = kwLo * C, run = (kwHi - kwLo) * C;
      const khLo = max(0, -ih0), khHi = min(KH, H - ih0);
      for (let kh = khLo; kh < khHi; kh++) {
        const s = src + (<usize>(kh * fieldRow + lead) << 2);
        add_floats(dx + ((<usize>((n * H + ih0 + kh) * W + iw0 + kwLo) * C) << 2), s, run);
      }
    }
    src += <usize>K << 2;
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
  }
}
