/**
 * 2-D convolution kernels (NCHW input, [O, C, kh, kw] weights) as implicit GEMMs on the
 * register-tiled generator of codegen/wgsl/gemm.ts. Nothing is materialised: the im2col
 * matrix is gathered element by element while the K-tiles are staged in workgroup memory.
 *
 *   forward      y[n, o, p]      = sum_{c,ky,kx} w[o, (c,ky,kx)] * x[n, c, oy*s+ky-pad, ox*s+kx-pad]
 *   grad input   dx[n, c, q]     = sum_{o,ky,kx} w[o, c, ky, kx] * gy[n, o, (iy+pad-ky)/s, (ix+pad-kx)/s]
 *   grad weight  dw[o, (c,ky,kx)] = sum_{n,p}    gy[n, o, p] * x[n, c, oy*s+ky-pad, ox*s+kx-pad]
 *
 * The GEMM's m axis gets whichever of the two output axes is larger, so thin layers (1 input
 * channel, 16 filters) still fill the tall tile instead of wasting most of a square one.
 * The input gradient of a layer with <= 4 input channels is a GEMM with <= 4 columns and no
 * reuse of its gathers; conv2dGradInputThinKernel register-tiles it along pixels instead.
 */
import { gemmKernel, chooseTiling, rankTilings, type GemmKernel, type GemmTiling, type Operand } from './gemm.js';
import type { Epilogue } from './epilogue.js';
import { dispatch1d, rolledCount } from './dispatch.js';
import { thinGradWeightApplies, thinGradWeightSplits } from './conv-grad-weight-thin.js';
import { broadcastsBySubgroup, shareAcrossLanes } from './subgroups.js';
import type { KernelTarget } from '../../src/ir/op.js';

export interface ConvGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  OH: number;
  OW: number;
}

/** WGSL constants and the shared input gather: x at output position p = (oy, ox), tap (c, ky, kx). */
function prelude(g: ConvGeometry): string {
  return `const N_ = ${g.N}u; const C_ = ${g.C}u; const H_ = ${g.H}i; const W_ = ${g.W}i; const O_ = ${g.O}u;
const KH = ${g.kh}u; const KW = ${g.kw}u; const SH = ${g.sh}i; const SW = ${g.sw}i; const PH = ${g.ph}i; const PW = ${g.pw}i;
const OH = ${g.OH}u; const OW = ${g.OW}u;`;
}

/**
 * Tap k = (c, ky, kx) of input pixel r = (first address, top row, left column) of a window:
 * x at (c, r.y + ky, r.z + kx), 0 in the padding. r is the hoisted per-row part of the gather.
 */
function windowTap(xVar: string): string {
  return `  let c = i32(k / (KH * KW));
  let t = k % (KH * KW);
  let ky = i32(t / KW);
  let kx = i32(t % KW);
  let iy = r.y + ky;
  let ix = r.z + kx;
  if (iy < 0 || iy >= H_ || ix < 0 || ix >= W_) { return 0.0; }
  return ${xVar}[u32(r.x + (c * H_ + ky) * W_ + kx)];`;
}

/** Swap operand roles (and the store) so the GEMM's m axis is the larger output axis. */
function oriented(
  rows: { size: number; op: Operand },
  cols: { size: number; op: Operand },
  K: number,
  batch: number,
  /**
   * WGSL index in `out` of output (batch, row-axis index `r`, col-axis index `q`); or `body`, a
   * GemmSpec.storeBody of those indices.
   */
  store: ((r: string, q: string) => string) | { body: (r: string, q: string) => string },
  pre: string,
  tiling: GemmTiling | undefined,
  epilogue: Epilogue | undefined,
  o: {
    /** Per-batch depth and store guard (the strided input gradient's phases): see GemmSpec. */
    phased?: { depth: string; storeGuard: (r: string, q: string) => string };
    label?: string;
    target?: KernelTarget | undefined;
  } = {},
): GemmKernel {
  const { phased, target } = o;
  const label = o.label ?? (phased ? 'conv by phases' : 'implicit conv');
  const swap = cols.size > rows.size;
  const [M, N] = swap ? [cols.size, rows.size] : [rows.size, cols.size];
  const t = tiling ?? chooseTiling(M, N, K, batch);
  return gemmKernel({
    M,
    N,
    K,
    batch,
    inputCount: 2,
    a: swap ? cols.op : rows.op,
    b: swap ? rows.op : cols.op,
    ...(typeof store === 'function'
      ? { storeIndex: swap ? store('n', 'm') : store('m', 'n') }
      : { storeBody: swap ? store.body('n', 'm') : store.body('m', 'n') }),
    prelude: pre,
    label,
    tiling: t,
    ...(epilogue ? { epilogue } : {}),
    ...(phased ? { depth: phased.depth, storeGuard: swap ? phased.storeGuard('n', 'm') : phased.storeGuard('m', 'n') } : {}),
    ...(target ? { target } : {}),
  });
}

/**
 * y = conv2d(x, w): inputs x (binding 0), w (binding 1). `per`: images per GEMM batch
 * (imagesPerBatch's choice unless a test pins it; must divide N).
 */
export function conv2dForwardKernel(g: ConvGeometry, tiling?: GemmTiling, epilogue?: Epilogue, per = imagesPerBatch(g.N, g.OH * g.OW), target?: KernelTarget): GemmKernel {
  const P = g.OH * g.OW;
  const Kc = g.C * g.kh * g.kw;
  // Filters are a plain [O, C*kh*kw] matrix; the im2col side is gathered.
  const filters: Operand = { kind: 'matrix', binding: 1, contiguous: 'k', offset: '0u' };
  // Column q is output pixel q % P of image q / P: the pixels of several images form one axis, so
  // a small image (ResNet's 4x4 stage, 16 pixels) does not leave most of a 64-wide tile empty. Per
  // column, the window's top-left corner in its image (address, row, column). At batch 8
  // (2026-12-06): 256->512 3x3 stride 2 on 8x8 5.96 -> 9.67 GFLOP/s against one GEMM batch per
  // image, its 1x1 shortcut 5.09 -> 8.14; on 32x32 inputs 10.3 -> 10.4 and 6.2 -> 7.3.
  const patches: Operand = {
    kind: 'gather',
    row: `  let img = batch * ${per}u + mn / ${P}u;
  let p = mn % ${P}u;
  let iy0 = i32(p / OW) * SH - PH;
  let ix0 = i32(p % OW) * SW - PW;
  return vec4<i32>((i32(img * C_) * H_ + iy0) * W_ + ix0, iy0, ix0, 0);`,
    body: windowTap('in0'),
  };
  return oriented(
    { size: g.O, op: filters },
    { size: per * P, op: patches },
    Kc,
    g.N / per,
    (o, q) => `((batch * ${per}u + (${q}) / ${P}u) * O_ + ${o}) * ${P}u + (${q}) % ${P}u`,
    prelude(g),
    tiling,
    epilogue,
    { target },
  );
}

/**
 * Pixels of a phase axis at most (stride-2 input gradients at batch 8, GFLOP/s with 1 / 2 / 8
 * images per GEMM batch, 2026-12-06): 64->128 3x3 on 32x32 (256 pixels per phase) 8.6 / 9.4 / 6.9,
 * its 1x1 shortcut 4.4 / 4.7 / 3.4; 256->512 3x3 on 8x8 (16 pixels) 6.3 / 6.9 / 8.0.
 */
const MAX_PHASE_PIXELS = 512;

/** Pixels on one GEMM axis at most: a 4-wide tile still needs no more than 16384 workgroups along it. */
const MAX_FOLDED_PIXELS = 65536;

/**
 * Images whose pixels share one GEMM axis (the rest go to the GEMM's batch): the largest divisor
 * of the batch that keeps the axis within MAX_FOLDED_PIXELS (all 128 CIFAR images of a batch).
 */
export function imagesPerBatch(images: number, pixels: number, maxPixels = MAX_FOLDED_PIXELS): number {
  for (let d = Math.min(images, Math.floor(maxPixels / pixels)); d > 1; d--) if (images % d === 0) return d;
  return 1;
}

/**
 * A 1x1, stride-1, unpadded convolution is a matmul per image: y[n] = w[O, C] . x[n][C, P] and
 * dx[n] = w^T . gy[n][O, P]. Both operands are then plain matrices, read as vec4 with no gather
 * (WRN's 16->160 shortcut ran at 4 GFLOP/s through the gather, whose K of 16 leaves nothing to
 * hide the index arithmetic behind).
 */
export function isPointwise(g: ConvGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;
}

/**
 * A pointwise layer's matmul per image: out[n] = w' . in0[n], w' being the [O, C] filters (forward)
 * or their transpose (input gradient), `rows` x `depth` with in0[n] `depth` x P.
 */
function pointwiseKernel(g: ConvGeometry, rows: number, depth: number, filters: 'k' | 'mn', epilogue?: Epilogue, target?: KernelTarget): GemmKernel {
  const P = g.H * g.W;
  return gemmKernel({
    M: rows, N: P, K: depth, batch: g.N, inputCount: 2,
    a: { kind: 'matrix', binding: 1, contiguous: filters, offset: '0u' },
    b: { kind: 'matrix', binding: 0, contiguous: 'mn', offset: `batch * ${depth * P}u` },
    label: 'pointwise conv',
    tiling: chooseTiling(rows, P, depth, g.N, true),
    ...(epilogue ? { epilogue } : {}),
    ...(target ? { target } : {}),
  });
}

/** y = conv2d(x, w) for a pointwise layer (isPointwise): inputs x (binding 0), w (binding 1). */
export function conv2dForwardPointwiseKernel(g: ConvGeometry, epilogue?: Epilogue, target?: KernelTarget): GemmKernel {
  // w[o, c] is element (m = o, k = c): contiguous along k.
  return pointwiseKernel(g, g.O, g.C, 'k', epilogue, target);
}

/** dx = conv2d_grad_input(gy, w) for a pointwise layer (isPointwise): inputs gy (binding 0), w (binding 1). */
export function conv2dGradInputPointwiseKernel(g: ConvGeometry, epilogue?: Epilogue, target?: KernelTarget): GemmKernel {
  // w[o, c] is element (m = c, k = o): contiguous along m.
  return pointwiseKernel(g, g.C, g.O, 'mn', epilogue, target);
}

/** A 1x1 unpadded layer with a stride: ResNet's and WRN's downsampling shortcuts. */
export function isStridedPointwise(g: ConvGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.ph === 0 && g.pw === 0 && (g.sh > 1 || g.sw > 1);
}

/**
 * dx = conv2d_grad_input(gy, w) for a strided 1x1 layer (isStridedPointwise): inputs gy (binding
 * 0), w (binding 1). Input pixel (oy*sh, ox*sw) gets w^T . gy[:, oy, ox] and every other pixel 0,
 * so this is one matmul per output pixel's column, with K = O and no taps to gather. Each stored
 * value also writes the zeros of its sh x sw block (which, unpadded, cover the input exactly
 * once): by phases, the phases with no taps stored their zeros through a GEMM of depth 0 and
 * took most of the time (64->128 on 32x32 at batch 8 ran at 4-8 GFLOP/s). The pixels of several
 * images share one GEMM axis (imagesPerBatch), read by a gather that costs one multiply-add.
 */
export function conv2dGradInputStridedPointwiseKernel(g: ConvGeometry, tiling?: GemmTiling, epilogue?: Epilogue, per = imagesPerBatch(g.N, g.OH * g.OW), target?: KernelTarget): GemmKernel {
  const P = g.OH * g.OW;
  // w[o, c] is element (c, k = o): contiguous along the channel axis.
  const weights: Operand = { kind: 'matrix', binding: 1, contiguous: 'mn', offset: '0u' };
  const grads: Operand = {
    kind: 'gather',
    row: `  return vec4<i32>(i32((batch * ${per}u + mn / ${P}u) * O_ * ${P}u + mn % ${P}u), 0, 0, 0);`,
    body: `  return in0[u32(r.x) + k * ${P}u];`,
  };
  const zeros: string[] = [];
  for (let dy = 0; dy < g.sh; dy++) {
    for (let dx = 0; dx < g.sw; dx++) {
      const guard = [dy > 0 ? `iy + ${dy}u < u32(H_)` : '', dx > 0 ? `ix + ${dx}u < u32(W_)` : ''].filter(Boolean);
      const put = `put(base + (iy + ${dy}u) * u32(W_) + ix + ${dx}u, ${dy === 0 && dx === 0 ? 'v' : '0.0'});`;
      zeros.push(guard.length ? `  if (${guard.join(' && ')}) { ${put} }` : `  ${put}`);
    }
  }
  const store = (c: string, q: string) => `  let p = ${q} % ${P}u;
  let iy = (p / OW) * u32(SH);
  let ix = (p % OW) * u32(SW);
  let base = ((batch * ${per}u + ${q} / ${P}u) * C_ + ${c}) * u32(H_ * W_);
${zeros.join('\n')}`;
  return oriented({ size: g.C, op: weights }, { size: per * P, op: grads }, g.O, g.N / per, { body: store }, prelude(g), tiling, epilogue, { label: 'strided pointwise conv', target });
}

/** dx = conv2d_grad_input(gy, w): inputs gy (binding 0), w (binding 1). */
export function conv2dGradInputKernel(g: ConvGeometry, tiling?: GemmTiling, epilogue?: Epilogue, target?: KernelTarget): GemmKernel {
  const Q = g.H * g.W;
  const K = g.O * g.kh * g.kw;
  // k = (o, ky, kx). Weight element w[o, c, ky, kx] for row c.
  const weights: Operand = {
    kind: 'gather',
    row: `  return vec4<i32>(i32(mn * KH * KW), 0, 0, 0);`,
    body: `  return in1[(k / (KH * KW)) * C_ * KH * KW + u32(r.x) + k % (KH * KW)];`,
  };
  // gy at the output position whose window puts tap (ky, kx) on input pixel q; 0 when the
  // stride skips it or it falls outside the output.
  const grads: Operand = {
    kind: 'gather',
    row: `  return vec4<i32>(i32(batch * O_ * OH * OW), i32(mn / u32(W_)) + PH, i32(mn % u32(W_)) + PW, 0);`,
    body: `  let o = k / (KH * KW);
  let t = k % (KH * KW);
  let ty = r.y - i32(t / KW);
  let tx = r.z - i32(t % KW);
  if (ty < 0 || tx < 0 || ty % SH != 0 || tx % SW != 0) { return 0.0; }
  let oy = u32(ty / SH);
  let ox = u32(tx / SW);
  if (oy >= OH || ox >= OW) { return 0.0; }
  return in0[u32(r.x) + (o * OH + oy) * OW + ox];`,
  };
  return oriented(
    { size: g.C, op: weights },
    { size: Q, op: grads },
    K,
    g.N,
    (c, q) => `(batch * C_ + ${c}) * ${Q}u + ${q}`,
    prelude(g),
    tiling,
    epilogue,
    { target },
  );
}

/**
 * dx = conv2d_grad_input(gy, w) for a strided layer, by phases. Input row iy receives gradient
 * only through the taps ky = (iy + ph) mod sh + sh*j, so the plain gather above (one K of
 * O*kh*kw for every pixel) multiplies zeros in all but 1/(sh*sw) of its products: at stride 2,
 * ResNet's downsampling layers ran at 2-3 GFLOP/s. Here the input pixels are split into the
 * sh*sw phases (py, px) = ((iy + ph) mod sh, (ix + pw) mod sw); within a phase every pixel meets
 * the same ceil((kh - py)/sh) x ceil((kw - px)/sw) taps, all of them real, so each phase is a
 * dense GEMM of its own depth (O x its taps). The phases (times batches of images) are the GEMM's
 * batch; its pixel axis runs over the images of a batch (imagesPerBatch), each with as many pixels
 * as the largest phase (the store skips the rest in smaller phases), so a small image still
 * fills a tile (see conv2dForwardKernel). Only up to MAX_PHASE_PIXELS, though: each phase sweeps
 * its batch's gy and dx, and sweeps over many images no longer meet in the cache.
 *
 * k = t * O + o for tap t = jy * tapsX + jx: ky = py + sh*jy, kx = px + sw*jx, and the output
 * pixel it reads is (by - jy, bx - jx) where by = (iy + ph - py) / sh.
 */
export function conv2dGradInputStridedKernel(
  g: ConvGeometry,
  tiling?: GemmTiling,
  epilogue?: Epilogue,
  per = imagesPerBatch(g.N, Math.ceil(g.H / g.sh) * Math.ceil(g.W / g.sw), MAX_PHASE_PIXELS),
  target?: KernelTarget,
): GemmKernel {
  const phases = g.sh * g.sw;
  // Pixels of the largest phase (the phase whose first row and column are 0).
  const rowsMax = Math.ceil(g.H / g.sh);
  const colsMax = Math.ceil(g.W / g.sw);
  const K = Math.ceil(g.kh / g.sh) * Math.ceil(g.kw / g.sw) * g.O;
  const pre = `${prelude(g)}
const COLS_MAX = ${colsMax}u; const PIXELS_MAX = ${rowsMax * colsMax}u; const PHASES = ${phases}u; const PER_BATCH = ${per}u;
// Phase of GEMM batch b (phase-major over batches of PER_BATCH images): (py, px, taps along y, taps along x).
fn phaseOf(b: u32) -> vec4<u32> {
  let p = b % PHASES;
  let py = p / u32(SW);
  let px = p % u32(SW);
  return vec4<u32>(py, px, select(0u, (KH - py + u32(SH) - 1u) / u32(SH), py < KH), select(0u, (KW - px + u32(SW) - 1u) / u32(SW), px < KW));
}
// First input row (column) of phase p along an axis of stride s and padding pad, and how many there are.
fn phaseFirst(p: u32, pad: u32, s: u32) -> u32 { return (p + s - pad % s) % s; }
fn phaseCount(first: u32, n: u32, s: u32) -> u32 { return select(0u, (n - first + s - 1u) / s, first < n); }
// Input pixel (iy, ix) of column q of GEMM batch b (pixel q % PIXELS_MAX of its phase in image
// phaseImage(b, q)), and whether it lies inside its phase.
fn phaseImage(b: u32, q: u32) -> u32 { return (b / PHASES) * PER_BATCH + q / PIXELS_MAX; }
fn phasePixel(b: u32, q: u32) -> vec3<i32> {
  let ph = phaseOf(b);
  let fy = phaseFirst(ph.x, u32(PH), u32(SH));
  let fx = phaseFirst(ph.y, u32(PW), u32(SW));
  let a = (q % PIXELS_MAX) / COLS_MAX;
  let c = (q % PIXELS_MAX) % COLS_MAX;
  let inside = a < phaseCount(fy, u32(H_), u32(SH)) && c < phaseCount(fx, u32(W_), u32(SW));
  return vec3<i32>(i32(fy + a * u32(SH)), i32(fx + c * u32(SW)), select(0, 1, inside));
}
// Index in dx of channel c at column q of GEMM batch b.
fn phaseStore(b: u32, c: u32, q: u32) -> u32 {
  let pix = phasePixel(b, q);
  return (phaseImage(b, q) * C_ + c) * u32(H_ * W_) + u32(pix.x * W_ + pix.y);
}`;
  // The tap of k in phase ph: (jy, jx), or jy = taps along y when k is past the phase's depth.
  const tap = `  let ph = phaseOf(batch);
  let t = k / O_;
  let o = k % O_;
  let tx = max(ph.w, 1u);
  let jy = t / tx;
  let jx = t % tx;
  if (jy >= ph.z) { return 0.0; }`;
  const weights: Operand = {
    kind: 'gather',
    // Row c: w[0, c, py, px]'s index; tap (jy, jx) of filter o adds o*C*kh*kw + sh*kw*jy + sw*jx.
    row: `  let ph = phaseOf(batch);
  return vec4<i32>(i32(mn * KH * KW + ph.x * KW + ph.y), 0, 0, 0);`,
    body: `${tap}
  return in1[o * C_ * KH * KW + u32(r.x) + jy * u32(SH) * KW + jx * u32(SW)];`,
  };
  const grads: Operand = {
    kind: 'gather',
    // Per phase pixel: gy's image offset and (by, bx), the output pixel of tap (0, 0).
    row: `  let ph = phaseOf(batch);
  let pix = phasePixel(batch, mn);
  return vec4<i32>(i32(phaseImage(batch, mn) * O_ * OH * OW), (pix.x + PH - i32(ph.x)) / SH, (pix.y + PW - i32(ph.y)) / SW, 0);`,
    body: `${tap}
  let oy = r.y - i32(jy);
  let ox = r.z - i32(jx);
  if (oy < 0 || ox < 0 || oy >= i32(OH) || ox >= i32(OW)) { return 0.0; }
  return in0[u32(r.x) + (o * OH + u32(oy)) * OW + u32(ox)];`,
  };
  return oriented(
    { size: g.C, op: weights },
    { size: per * rowsMax * colsMax, op: grads },
    K,
    (g.N / per) * phases,
    (c, q) => `phaseStore(batch, ${c}, ${q})`,
    pre,
    tiling,
    epilogue,
    { phased: { depth: 'phaseOf(batch).z * phaseOf(batch).w * O_', storeGuard: (_c, q) => `phasePixel(batch, ${q}).z == 1` }, target },
  );
}

/** A pointwise layer's weight gradient split over whole images reads gy[n] and x[n] as plain matrices. */
function gradWeightReadsMatrices(g: ConvGeometry, splits: number): boolean {
  return isPointwise(g) && g.N % splits === 0;
}

/**
 * dw = conv2d_grad_weight(x, gy): inputs x (binding 0), gy (binding 1). K runs over (image,
 * output pixel) and is long (100k for 128 MNIST images) while dw is small (16x9 for the first
 * layer): one tile, one workgroup, one busy core. So K can be split by images: `splits`
 * workgroup layers (the GEMM batch) each sum ceil(N / splits) images into their own
 * [O, C, kh, kw] slice of the output, and the caller sums the slices.
 */
export function conv2dGradWeightKernel(g: ConvGeometry, tiling?: GemmTiling, splits = 1, epilogue?: Epilogue, target?: KernelTarget): GemmKernel {
  const P = g.OH * g.OW;
  const Kc = g.C * g.kh * g.kw;
  const perSplit = Math.ceil(g.N / splits);
  if (gradWeightReadsMatrices(g, splits)) {
    // gy[n] and x[n] are plain [O, P] and [C, P] matrices, read as vec4 along the pixels: WRN's
    // 16->160 shortcut ran at 5.6 GFLOP/s through the gathers (K of 1024 per image, 16 channels).
    const image = (rows: number, binding: number): Operand => ({
      kind: 'matrix', binding, contiguous: 'k', offset: `batch * ${perSplit * rows * P}u`, kPeriod: { length: P, stride: rows * P },
    });
    const t = tiling ?? chooseTiling(Math.max(g.O, Kc), Math.min(g.O, Kc), perSplit * P, splits, true);
    return oriented({ size: g.O, op: image(g.O, 1) }, { size: Kc, op: image(g.C, 0) }, perSplit * P, splits,
      (o, j) => `(batch * O_ + ${o}) * ${Kc}u + ${j}`, prelude(g), t, epilogue, { label: 'pointwise conv', target });
  }
  // Image of k within this split; past the last image (uneven split) everything reads 0.
  const image = `  let img = batch * ${perSplit}u + k / ${P}u;
  if (img >= N_) { return 0.0; }`;
  const grads: Operand = {
    kind: 'gather',
    row: `  return vec4<i32>(i32(mn * ${P}u), 0, 0, 0);`,
    body: `${image}
  return in1[img * O_ * ${P}u + u32(r.x) + k % ${P}u];`,
  };
  // Per tap (c, ky, kx): its offset from a window's corner.
  const patches: Operand = {
    kind: 'gather',
    row: `  let c = i32(mn / (KH * KW));
  let t = mn % (KH * KW);
  let dy = i32(t / KW) - PH;
  let dx = i32(t % KW) - PW;
  return vec4<i32>((c * H_ + dy) * W_ + dx, dy, dx, 0);`,
    body: `${image}
  let p = k % ${P}u;
  let oy = i32(p / OW) * SH;
  let ox = i32(p % OW) * SW;
  let iy = oy + r.y;
  let ix = ox + r.z;
  if (iy < 0 || iy >= H_ || ix < 0 || ix >= W_) { return 0.0; }
  return in0[img * C_ * u32(H_ * W_) + u32(r.x + oy * W_ + ox)];`,
  };
  return oriented(
    { size: g.O, op: grads },
    { size: Kc, op: patches },
    perSplit * P,
    splits,
    (o, j) => `(batch * O_ + ${o}) * ${Kc}u + ${j}`,
    prelude(g),
    tiling,
    epilogue,
    { target },
  );
}

/**
 * Fixed cost of splitting a weight gradient (the sum over splits is one more dispatch), in
 * rankTilings' units (multiply-adds over efficiency; lavapipe does about 5e9 a second at 1.45),
 * and its cost per partial element summed.
 */
const SPLIT_DISPATCH_COST = 300_000;
const SPLIT_ELEMENT_COST = 4;

/**
 * How many image splits conv2d's gradient should ask conv2d_grad_weight for: the one with the
 * least estimated time, the GEMM's tile chosen for each (rankTilings) and the sum over the
 * splits' partial results included. K (images x output pixels) is long and dw small, so the tile
 * that fits dw best often leaves too few workgroups to occupy the cores; splitting K restores
 * them at the cost of the sum. Same-run A/Bs at batch 8 on lavapipe (2026-12-06), GFLOP/s before
 * (1 split, the tile ranked for parallelism) and after: 16->160 3x3 on 32x32 5.9 -> 13.2 (160x144
 * tile, 8 splits), 64->128 1x1 stride 2 5.7 -> 9.8 (128x64, 4), 160->320 1x1 stride 2 6.8 -> 12.9
 * (160x160, 4), 3->64 3x3 3.1 -> 6.6 (4). Thin layers run conv2dGradWeightThinKernel, split by
 * its own rule.
 */
export function gradWeightSplits(g: ConvGeometry): number {
  if (thinGradWeightApplies(g)) return thinGradWeightSplits(g);
  const Kc = g.C * g.kh * g.kw;
  const P = g.OH * g.OW;
  const [M, N] = [Math.max(g.O, Kc), Math.min(g.O, Kc)];
  let best = 1;
  let bestCost = Infinity;
  for (let s = 1; s <= g.N; s++) {
    const perSplit = Math.ceil(g.N / s);
    if (s > 1 && Math.ceil(g.N / perSplit) < s) continue; // the same splits as a smaller s, one of them empty
    const gemm = rankTilings(M, N, perSplit * P, s, gradWeightReadsMatrices(g, s)).cost * perSplit * P;
    const cost = gemm + (s > 1 ? SPLIT_DISPATCH_COST + SPLIT_ELEMENT_COST * s * M * N : 0);
    if (cost < bestCost) {
      bestCost = cost;
      best = s;
    }
  }
  return best;
}

/**
 * Input gradient of a thin layer (C <= 4 input channels, stride 1), e.g. the first conv of an
 * image model, which every attack step differentiates through. As a GEMM its output has C
 * columns, so a tile cannot reuse the gathered gy values (one gather per multiply-add). Here a
 * thread instead computes a strip of 4 neighbouring input pixels for all C channels: per
 * (filter, kernel row) it reads the kw+3 gy values the strip's windows share once and does
 * 4*kw vec4 multiply-adds with filter taps staged (as vec4 over channels) in workgroup memory.
 */
export function conv2dGradInputThinKernel(g: ConvGeometry, epilogue?: Epilogue, target?: KernelTarget): GemmKernel | null {
  const taps = g.O * g.kh * g.kw;
  if (g.C > 4 || g.sh !== 1 || g.sw !== 1 || taps * 16 > 16384) return null;
  const WG = 64;
  const strips = Math.ceil(g.W / 4);
  const threads = g.N * g.H * strips;
  const span = g.kw + 3;
  // On 8-lane subgroups (codegen/wgsl/subgroups.ts) a filter's kh*kw taps come from broadcasts,
  // each lane loading at most ceil(kh*kw / 8) of them, instead of workgroup memory.
  const sg = broadcastsBySubgroup(target);
  const filterTaps = g.kh * g.kw;
  const lines: string[] = [];
  if (sg) {
    const shared = shareAcrossLanes(filterTaps, 'sw', (reg) => Array.from({ length: g.C }, (_, c) => `${reg}[${c}] = in1[(o * ${g.C}u + ${c}u) * ${filterTaps}u + i];`));
    lines.push(...shared.loads.map((l) => `    ${l}`));
    for (let t = 0; t < filterTaps; t++) lines.push(`    let tap${t} = ${shared.value(t)};`);
  }
  for (let ky = 0; ky < g.kh; ky++) {
    lines.push(`    { let oy = iy + ${g.ph - ky}i;`, `      if (oy >= 0 && oy < ${g.OH}i) {`, `        let rowBase = gyBase + u32(oy) * ${g.OW}u;`);
    // v_j = gy[..., oy, ix0 + pw - (kw - 1) + j], 0 outside the output.
    for (let j = 0; j < span; j++) {
      lines.push(`        let ox${j} = ix0 + ${g.pw - (g.kw - 1) + j}i;`, `        let v${j} = select(0.0, in0[rowBase + u32(clamp(ox${j}, 0i, ${g.OW - 1}i))], ox${j} >= 0 && ox${j} < ${g.OW}i);`);
    }
    for (let kx = 0; kx < g.kw; kx++) {
      lines.push(sg ? `        let w${kx} = tap${ky * g.kw + kx};` : `        let w${kx} = shW[(o * ${g.kh}u + ${ky}u) * ${g.kw}u + ${kx}u];`);
      // Pixel p reads output column ix0 + p + pw - kx = v_{p - kx + kw - 1}.
      for (let p = 0; p < 4; p++) lines.push(`        acc${p} = fma(vec4<f32>(v${p - kx + g.kw - 1}), w${kx}, acc${p});`);
    }
    lines.push(`      }`, `    }`);
  }
  const stores: string[] = [];
  for (let p = 0; p < 4; p++) {
    for (let c = 0; c < g.C; c++) {
      const flat = `((n * ${g.C}u + ${c}u) * ${g.H}u + u32(iy)) * ${g.W}u + u32(ix0 + ${p}i)`;
      const value = epilogue ? `epilogue(flat, acc${p}[${c}])` : `acc${p}[${c}]`;
      stores.push(`  if (live && ix0 + ${p}i < ${g.W}i) { let flat = ${flat}; out[flat] = ${value}; }`);
    }
  }
  const staging = sg ? '' : `  // Filter taps as vec4 over input channels: shW[(o*kh + ky)*kw + kx][c] = w[o, c, ky, kx].
  for (var i = lid; i < ${taps}u; i += ${WG}u) {
    let o = i / ${g.kh * g.kw}u;
    let t = i % ${g.kh * g.kw}u;
    var wv = vec4<f32>(0.0);
${Array.from({ length: g.C }, (_, c) => `    wv[${c}] = in1[(o * ${g.C}u + ${c}u) * ${g.kh * g.kw}u + t];`).join('\n')}
    shW[i] = wv;
  }
  workgroupBarrier();
`;
  const code = `${sg ? 'enable subgroups;\n' : ''}// conv2d grad input, thin layer: ${g.C} channel(s), strips of 4 pixels
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
${epilogue?.code ?? ''}
@group(0) @binding(${2 + (epilogue?.bindings ?? 0)}) var<storage, read_write> out: array<${epilogue?.outType ?? 'f32'}>;
${sg ? '' : `var<workgroup> shW: array<vec4<f32>, ${taps}>;`}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32${sg ? ', @builtin(subgroup_invocation_id) lane: u32' : ''}) {
${staging}  // Threads past the end run the loop (the broadcasts need every lane) and skip the stores.
  let live = (wid.y * nwg.x + wid.x) * ${WG}u + lid < ${threads}u;
  let idx = min((wid.y * nwg.x + wid.x) * ${WG}u + lid, ${threads - 1}u);
  let n = idx / ${g.H * strips}u;
  let rem = idx % ${g.H * strips}u;
  let iy = i32(rem / ${strips}u);
  let ix0 = i32(rem % ${strips}u) * 4i;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var o = 0u; o < ${rolledCount(g.O)}; o++) {
    let gyBase = (n * ${g.O}u + o) * ${g.OH * g.OW}u;
${lines.join('\n')}
  }
${stores.join('\n')}
}
`;
  return { code, workgroups: dispatch1d(threads, WG) };
}
