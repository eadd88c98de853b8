// A convolution's blocks of output positions, each whole on one thread: im2col, the products and
// the transposes of a block run back to back in that thread's own scratch, so a layer is one split
// call instead of one for every kernel of every block (on 2 threads, LeNet's second convolution was
// 45 split calls a step, each waiting for its slower half).
//
// Blocks hold whole images (`block` positions, a multiple of OH·OW), so the input gradient of an
// image comes from one block: its pixels get their sums from one thread, in position order. The
// filter gradient is a sum over every position; each group of `group` consecutive blocks sums into
// its own partial (F x K), and conv_filter_grad_sum adds the partials in group order. The blocks,
// the groups and the order of every sum follow from the geometry alone, never from the thread
// count, so the results are bitwise the same on any number of threads.
//
// The geometry is a descriptor of i32 written once by the layer (offsets below). The thread's
// scratch holds the GEMM's packing space (gemm_scratch_bytes), then two blocks of work space:
// the column block (block x K) and the transposed output block (F x block). See conv.ts for the
// geometry's meaning and position numbering.
import { gemm, gemm_scratch_bytes, MODE_ZERO, MODE_ACC, MODE_BIAS } from './gemm';
import { im2col, col2im_add, zero_f32 } from './conv';
import { transpose_bias_relu } from './transpose';
import { column_sums } from './activations';

const CONV_H: i32 = 0;
const CONV_W: i32 = 1;
const CONV_C: i32 = 2;
const CONV_KH: i32 = 3;
const CONV_KW: i32 = 4;
const CONV_SH: i32 = 5;
const CONV_SW: i32 = 6;
const CONV_PT: i32 = 7;
const CONV_PL: i32 = 8;
const CONV_OH: i32 = 9;
const CONV_OW: i32 = 10;
const CONV_F: i32 = 11;
/** positions per block: whole images */
const CONV_BLOCK: i32 = 12;
/** blocks per filter-gradient partial */
const CONV_GROUP: i32 = 13;
/** 1: the forward product runs transposed (Yᵀ = Kᵀ·colᵀ, few filters); 2: a 1x1 kernel at stride 1
 *  without padding, whose column matrix is x itself */
const CONV_FLAGS: i32 = 14;
const CONV_DESCRIPTOR_INTS: i32 = 16;

const TRANSPOSED: i32 = 1;
const DIRECT: i32 = 2;

// @ts-ignore: decorator
@inline function at(geo: usize, field: i32): i32 {
  return load<i32>(geo + (<usize>field << 2));
}

// the column matrix of positions [p0, p0 + np): x itself (direct), else im2col into `col`
// @ts-ignore: decorator
@inline function columns(geo: usize, x: usize, p0: i32, np: i32, col: usize): usize {
  const K = at(geo, CONV_KH) * at(geo, CONV_KW) * at(geo, CONV_C);
  if (at(geo, CONV_FLAGS) & DIRECT) return x + (<usize>p0 * K << 2);
  im2col(x, at(geo, CONV_H), at(geo, CONV_W), at(geo, CONV_C), at(geo, CONV_KH), at(geo, CONV_KW), at(geo, CONV_SH), at(geo, CONV_SW),
    at(geo, CONV_PT), at(geo, CONV_PL), at(geo, CONV_OH), at(geo, CONV_OW), p0, np, col);
  return col;
}

// Y (rows·OH·OW x F, NHWC) = conv(x) + bias (0: none), relu'd when relu, for blocks [b0, b1)
export function conv_blocks_forward(geo: usize, x: usize, rows: i32, kernel: usize, bias: usize, relu: bool, y: usize,
                                    b0: i32, b1: i32, scratch: usize): void {
  const K = at(geo, CONV_KH) * at(geo, CONV_KW) * at(geo, CONV_C), F = at(geo, CONV_F), block = at(geo, CONV_BLOCK);
  const P = rows * at(geo, CONV_OH) * at(geo, CONV_OW);
  const col = scratch + gemm_scratch_bytes(), yt = col + (<usize>block * K << 2);
  const transposed = (at(geo, CONV_FLAGS) & TRANSPOSED) != 0;
  for (let b = b0; b < b1; b++) {
    const p0 = b * block, np = min(block, P - p0);
    if (np <= 0) return;
    const c = columns(geo, x, p0, np, col), out = y + (<usize>p0 * F << 2);
    if (transposed) {
      gemm(true, true, F, np, K, kernel, F, c, K, yt, np, MODE_ZERO, 0, scratch, false);
      transpose_bias_relu(yt, F, np, np, bias, relu, out, F);
    } else {
      gemm(false, false, np, F, K, c, K, kernel, F, out, F, bias != 0 ? MODE_BIAS : MODE_ZERO, bias, scratch, relu);
    }
  }
}

// For the groups [g0, g1): partial g (F rows of K + 1, at partials + g·F·(K + 1) floats) = Σ over
// the group's blocks of dYᵀ·col, and in each row's last column the bias gradient's part, the sum of
// dY's column over the group's positions in order (when withBias); when dx is not 0, dx of the
// blocks' images = the adjoint of the forward (zeroed first: each image belongs to one block)
export function conv_blocks_backward(geo: usize, x: usize, rows: i32, kernel: usize, dy: usize, dx: usize, partials: usize,
                                     g0: i32, g1: i32, withBias: bool, scratch: usize): void {
  const K = at(geo, CONV_KH) * at(geo, CONV_KW) * at(geo, CONV_C), F = at(geo, CONV_F), block = at(geo, CONV_BLOCK);
  const group = at(geo, CONV_GROUP), per = at(geo, CONV_OH) * at(geo, CONV_OW);
  const P = rows * per, image = at(geo, CONV_H) * at(geo, CONV_W) * at(geo, CONV_C);
  const direct = (at(geo, CONV_FLAGS) & DIRECT) != 0;
  const col = scratch + gemm_scratch_bytes(), sums = col + (<usize>block * K << 2);
  const ldp = K + 1;
  for (let g = g0; g < g1; g++) {
    const partial = partials + (<usize>g * F * ldp << 2);
    const q0 = g * group * block;
    if (q0 >= P) break;
    // the bias's part: dY's columns summed over the group's positions, which are consecutive rows
    if (withBias) column_sums(dy + (<usize>q0 * F << 2), min(group * block, P - q0), F, F, sums);
    for (let b = g * group; b < (g + 1) * group; b++) {
      const p0 = b * block, np = min(block, P - p0);
      if (np <= 0) break;
      const d = dy + (<usize>p0 * F << 2);
      const c = columns(geo, x, p0, np, col);
      gemm(true, false, F, K, np, d, F, c, K, partial, ldp, b == g * group ? MODE_ZERO : MODE_ACC, 0, scratch, false);
      if (dx == 0) continue;
      if (direct) {
        gemm(false, true, np, K, F, d, F, kernel, F, dx + (<usize>p0 * K << 2), K, MODE_ZERO, 0, scratch, false);
      } else {
        // the column gradients overwrite the column block, which the filter gradient has used
        gemm(false, true, np, K, F, d, F, kernel, F, col, K, MODE_ZERO, 0, scratch, false);
        zero_f32(dx + (<usize>(p0 / per) * image << 2), (np / per) * image);
        col2im_add(col, at(geo, CONV_H), at(geo, CONV_W), at(geo, CONV_C), at(geo, CONV_KH), at(geo, CONV_KW), at(geo, CONV_SH),
          at(geo, CONV_SW), at(geo, CONV_PT), at(geo, CONV_PL), at(geo, CONV_OH), at(geo, CONV_OW), p0, np, dx);
      }
    }
    if (withBias) for (let f = 0; f < F; f++) store<f32>(partial + ((<usize>f * ldp + K) << 2), load<f32>(sums + (<usize>f << 2)));
  }
}

// grad (K x F, a [kh, kw, c, f] kernel's layout) = Σ over the `groups` partials (each F rows of
// K + 1: the taps, then the bias's part), added in group order, for the columns [k0, k1) of the
// partials; column K is the bias gradient, into bias (k1 = K + 1 only when there is one)
export function conv_filter_grad_sum(partials: usize, groups: i32, F: i32, K: i32, k0: i32, k1: i32, grad: usize, bias: usize): void {
  const ldp = K + 1, stride = <usize>F * ldp << 2;
  for (let f = 0; f < F; f++) {
    let k = k0;
    // four k at a time: the partials' rows are contiguous along k
    for (; k + 4 <= min(k1, K); k += 4) {
      let src = partials + ((<usize>f * ldp + k) << 2);
      let s = v128.load(src);
      for (let g = 1; g < groups; g++) { src += stride; s = f32x4.add(s, v128.load(src)); }
      const dst = grad + ((<usize>k * F + f) << 2), ld = <usize>F << 2;
      store<f32>(dst, f32x4.extract_lane(s, 0));
      store<f32>(dst + ld, f32x4.extract_lane(s, 1));
      store<f32>(dst + 2 * ld, f32x4.extract_lane(s, 2));
      store<f32>(dst + 3 * ld, f32x4.extract_lane(s, 3));
    }
    for (; k < k1; k++) {
      let src = partials + ((<usize>f * ldp + k) << 2);
      let s = load<f32>(src);
      for (let g = 1; g < groups; g++) { src += stride; s += load<f32>(src); }
      store<f32>(k < K ? grad + ((<usize>k * F + f) << 2) : bias + (<usize>f << 2), s);
    }
  }
}
