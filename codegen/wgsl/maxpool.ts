/**
 * Max pooling kernels on NCHW tensors. The forward records each window's argmax (a node of its
 * own, i32) and gathers the maximum through it; the gradient routes through the recorded
 * argmax instead of rescanning every window, which made the backward several times the cost of
 * the forward (each input pixel rescanned the whole window covering it).
 *
 * The argmax is the index within its plane, iy * W + ix (PyTorch's `return_indices`
 * convention), of the first maximum in row-major window order; padding never wins.
 */
import { coveringWindows, poolKernel, unravel, type PoolGeometry, type PoolKernel } from './pool.js';

/**
 * WGSL argmax of window (oy, ox) of the plane starting at `base`. Starts from the first real
 * pixel of the window so an all -inf window still has an answer; strict `>` keeps the first
 * of equal maxima.
 */
const ARGMAX_FN = `fn windowArgmax(base: u32, oy: i32, ox: i32) -> i32 {
  let y0 = oy * SH - PH;
  let x0 = ox * SW - PW;
  var best = max(y0, 0i) * W + max(x0, 0i);
  var bestVal = in0[base + u32(best)];
  for (var ky = 0i; ky < KH; ky++) {
    let iy = y0 + ky;
    if (iy < 0 || iy >= H) { continue; }
    for (var kx = 0i; kx < KW; kx++) {
      let ix = x0 + kx;
      if (ix < 0 || ix >= W) { continue; }
      let i = iy * W + ix;
      let v = in0[base + u32(i)];
      if (v > bestVal) { best = i; bestVal = v; }
    }
  }
  return best;
}`;

/** idx = maxpool2d_argmax(x): binding 0 = x; one invocation per window. */
export function maxPoolArgmaxKernel(g: PoolGeometry): PoolKernel {
  return poolKernel(g, g.planes * g.OH * g.OW, ['f32'], 'i32', `${unravel('idx', 'OH', 'OW', 'oy', 'ox')}
  out[idx] = windowArgmax(plane * u32(H * W), oy, ox);`, ARGMAX_FN);
}

/** y = maxpool2d(x, idx): bindings 0 = x, 1 = idx; y[o] = x[plane, idx[o]]. */
export function maxPoolGatherKernel(g: PoolGeometry): PoolKernel {
  return poolKernel(g, g.planes * g.OH * g.OW, ['f32', 'i32'], 'f32', `  let plane = idx / u32(OH * OW);
  out[idx] = in0[plane * u32(H * W) + u32(in1[idx])];`);
}

/**
 * dx = maxpool2d_grad(idx, gy): bindings 0 = idx, 1 = gy. Windows that tile the input
 * (kernel == stride) scatter; any other geometry gathers.
 */
export function maxPoolGradKernel(g: PoolGeometry): PoolKernel {
  return g.kh === g.sh && g.kw === g.sw ? tiledGradKernel(g) : gatherGradKernel(g);
}

/**
 * One invocation per input pixel sums the output gradients of the covering windows whose
 * argmax is that pixel, in window order (as the CPU reference adds them). No two invocations
 * write the same element, so overlapping windows need no atomics.
 */
function gatherGradKernel(g: PoolGeometry): PoolKernel {
  return poolKernel(g, g.planes * g.H * g.W, ['i32', 'f32'], 'f32', `${unravel('idx', 'H', 'W', 'iy', 'ix')}
  let here = iy * W + ix;
  let obase = plane * u32(OH * OW);
  var acc = 0.0;
${coveringWindows(`      let o = obase + u32(oy * OW + ox);
      if (in0[o] == here) { acc += in1[o]; }`)}
  out[idx] = acc;`);
}

/**
 * kernel == stride: windows are disjoint and tile the input from its top-left corner, so one
 * invocation per window writes its whole window (gy at the argmax, 0 elsewhere): a quarter of
 * the invocations of the gather for 2x2 windows, and no search over covering windows. Pixels
 * past the last window (the floor rule leaves up to stride - 1 rows and columns uncovered) are
 * zeroed by the last window of their row or column; padding pixels are skipped.
 */
function tiledGradKernel(g: PoolGeometry): PoolKernel {
  return poolKernel(g, g.planes * g.OH * g.OW, ['i32', 'f32'], 'f32', `${unravel('idx', 'OH', 'OW', 'oy', 'ox')}
  let base = plane * u32(H * W);
  let best = in0[idx];
  let gv = in1[idx];
  let y0 = oy * SH - PH;
  let x0 = ox * SW - PW;
  let y1 = select(min(y0 + KH, H), H, oy == OH - 1i);
  let x1 = select(min(x0 + KW, W), W, ox == OW - 1i);
  for (var iy = max(y0, 0i); iy < y1; iy++) {
    for (var ix = max(x0, 0i); ix < x1; ix++) {
      let i = iy * W + ix;
      out[base + u32(i)] = select(0.0, gv, i == best);
    }
  }`);
}
