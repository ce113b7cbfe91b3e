/**
 * Weight gradient of a thin stride-1 layer (<= 4 input channels: an image model's first conv),
 * dw[s, o, c, ky, kx] = sum over the images of split s and output pixels p of
 * gy[n, o, p] * x[n, c, p + (ky, kx) - pad], without a GEMM.
 *
 * As a GEMM (conv2dGradWeightKernel) its K is every pixel of every image and its output only
 * O x C*kh*kw (64 x 27 for ResNet's first layer): each element of a K-tile is a gather with
 * integer division and bounds checks, used by at most 27 or 64 multiply-adds, and it ran at 3-6
 * GFLOP/s (a quarter of the matmul's). Here a thread owns 4 filters x every tap (C*kh*kw vec4
 * accumulators, vec4 over the filters; 8 filters on layers of 2-4 channels, thinGradWeightFilters)
 * and sweeps strips of 4 neighbouring output pixels: per strip it reads gy for its filters at the
 * 4 pixels once, then per input channel and kernel row the kw+3 input values the strip's windows
 * share, and does 4 multiply-adds per tap and 4 filters. The threads of a workgroup (one
 * workgroup per block of filters and split) share its strips and sum their accumulators in
 * workgroup memory at the end.
 */
import type { Epilogue } from './epilogue.js';
import type { GemmKernel } from './gemm.js';
import type { ConvGeometry } from './conv.js';
import { rolledCount } from './dispatch.js';

/**
 * Threads per workgroup: one 8-lane SIMD vector of lavapipe (its subgroup size on AVX2), whose
 * workgroups run one per core. Against 32 threads (same-run A/B, 2026-12-06 21:24, batch 8):
 * 3->16 0.93 -> 0.70 ms, 3->64 2.51 -> 2.17 ms, the reference CNN's 1->16 at batch 128 2.25 ->
 * 2.09 ms; at 32 threads the final sum (5 halvings of every tap, a barrier each) cost more than
 * the spare lanes gained. On a GPU this is a quarter of a warp, for layers whose few
 * MFLOP are launch-bound there anyway. The sum's workgroup memory, T x taps x filters/4 vec4 (16
 * KiB at MAX_TAPS and 8 filters), stays within WebGPU's guaranteed 16 KiB.
 */
const T = 8;

/**
 * Taps at most (accumulators per thread, all unrolled): 4 channels x 5x5 (100 taps) compiled in
 * 10 s on lavapipe, 3 x 3x3 in 1.3 s.
 */
const MAX_TAPS = 64;

/** Does the thin kernel handle this layer? */
export function thinGradWeightApplies(g: ConvGeometry): boolean {
  return g.C <= 4 && g.sh === 1 && g.sw === 1 && g.C * g.kh * g.kw <= MAX_TAPS;
}

/**
 * Filters per thread: 8 (two vec4 of accumulators per tap) on a layer of 2-4 input channels whose
 * weight gradient is not a test's few images, else 4: the strip's input values and gy reads feed
 * twice the multiply-adds. Same-run A/Bs at batch 8 on lavapipe (bench/thin-grad-weight-ab.ts,
 * 2026-12-07, four runs at load 1.3-5, per-round medians): ResNet's 3->64 1.27-1.9x (2.96 -> 1.48
 * ms in the quietest run), WRN's 3->16 1.15-1.44x (0.59 -> 0.47 ms). The reference CNN's 1->16 at
 * batch 128 (9 taps) ran 0.8-1.02x with 8, so a one-channel layer keeps 4 (and the quickstart its
 * digits). 8 filters compile in 2.5 s against 1.1 on lavapipe for 27 taps, hence
 * SMALL_THIN_MACS.
 */
export function thinGradWeightFilters(g: ConvGeometry): number {
  const macs = g.N * g.O * g.OH * g.OW * g.C * g.kh * g.kw;
  return g.C >= 2 && g.O > 4 && macs >= SMALL_THIN_MACS ? 8 : 4;
}

/**
 * Below this many multiply-adds (a test's few images) a thin layer keeps 4 filters a thread, the
 * block that compiles in half the time; the direct kernel's SMALL_DIRECT_MACS draws the same line
 * for the same reason (not imported: conv-direct.ts imports conv.ts, which imports this file).
 */
const SMALL_THIN_MACS = 1 << 21;

/**
 * Workgroups (one per 4 filters and split) the splits aim for; with 8 filters a thread, half as
 * many (the same filter vec4s): 3->16 at batch 8 in 4 splits 0.47 ms against 0.51 in 8, 3->64
 * in 1 split 1.48 against 1.52 in 2 and 1.58 in 4 (same run as thinGradWeightFilters). With 4
 * filters and 8 threads a workgroup (same run, 21:24): 3->16 at batch 8 0.70 ms in 16 against
 * 0.75 in 32, 3->64 2.17 in 16 or 32, the reference CNN's 1->16 at batch 128 2.09 in 16 against
 * 2.18 in 32 (1.94 in 64); fewer splits also leave less to the sum over splits that follows.
 */
const THIN_WORKGROUPS = 16;

/** Splits that give the thin kernel THIN_WORKGROUPS workgroups, or one split per image. */
export function thinGradWeightSplits(g: ConvGeometry): number {
  return Math.max(1, Math.min(g.N, Math.ceil(THIN_WORKGROUPS / Math.ceil(g.O / 4))));
}

/** dw = conv2d_grad_weight(x, gy) for a thin layer: inputs x (binding 0), gy (binding 1); output [splits, O, C, kh, kw]. */
export function conv2dGradWeightThinKernel(g: ConvGeometry, splits = 1, epilogue?: Epilogue, filters = thinGradWeightFilters(g)): GemmKernel {
  if (filters !== 4 && filters !== 8) throw new Error(`thin conv weight gradient: ${filters} filters a thread (4 or 8)`);
  const taps = g.C * g.kh * g.kw;
  // Filters per thread in vec4s.
  const F4 = filters / 4;
  const perSplit = Math.ceil(g.N / splits);
  const stripsPerRow = Math.ceil(g.OW / 4);
  const span = g.kw + 3;
  const ragged = g.OW % 4 !== 0;
  const lines: string[] = [];
  // gy of filter o0 + 4f + j at pixel ox0 + p, as lane j of g_p_f.
  for (let p = 0; p < 4; p++) for (let f = 0; f < F4; f++) lines.push(`    var g${p}_${f} = vec4<f32>(0.0);`);
  for (let jj = 0; jj < filters; jj++) {
    const [f, j] = [jj >> 2, jj & 3];
    const body: string[] = [`      let gb = ((n * ${g.O}u + o0 + ${jj}u) * ${g.OH}u + oy) * ${g.OW}u + ox0;`];
    for (let p = 0; p < 4; p++) {
      const load = `g${p}_${f}[${j}] = in1[gb + ${p}u];`;
      body.push(ragged && p > 0 ? `      if (ox0 + ${p}u < ${g.OW}u) { ${load} }` : `      ${load}`);
    }
    lines.push(g.O % filters !== 0 && jj > 0 ? `    if (o0 + ${jj}u < ${g.O}u) {` : `    {`, ...body, `    }`);
  }
  for (let c = 0; c < g.C; c++) {
    for (let ky = 0; ky < g.kh; ky++) {
      lines.push(`    { let iy = i32(oy) + ${ky - g.ph}i;`, `      if (iy >= 0 && iy < ${g.H}i) {`, `        let rb = ((n * ${g.C}u + ${c}u) * ${g.H}u + u32(iy)) * ${g.W}u;`);
      // v_q = x[..., iy, ox0 + q - pw], 0 in the padding: pixel p's tap kx is v_{p + kx}.
      for (let q = 0; q < span; q++) {
        lines.push(`        let ix${q} = i32(ox0) + ${q - g.pw}i;`, `        let v${q} = select(0.0, in0[rb + u32(clamp(ix${q}, 0i, ${g.W - 1}i))], ix${q} >= 0 && ix${q} < ${g.W}i);`);
      }
      for (let kx = 0; kx < g.kw; kx++) {
        const t = (c * g.kh + ky) * g.kw + kx;
        for (let f = 0; f < F4; f++) for (let p = 0; p < 4; p++) lines.push(`        acc${t}_${f} = fma(g${p}_${f}, vec4<f32>(v${p + kx}), acc${t}_${f});`);
      }
      lines.push(`      }`, `    }`);
    }
  }
  const outIndex = `(split * ${g.O}u + o) * ${taps}u + t`;
  const code = `// conv2d grad weight, thin layer: ${g.C} channel(s), ${filters} filters x ${taps} taps per thread, ${T} threads
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
${epilogue?.code ?? ''}
@group(0) @binding(${2 + (epilogue?.bindings ?? 0)}) var<storage, read_write> out: array<${epilogue?.outType ?? 'f32'}>;
var<workgroup> red: array<vec4<f32>, ${T * taps * F4}>;
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o0 = wid.x * ${filters}u;
  let split = wid.y;
  let img0 = split * ${perSplit}u;
  // An uneven split's last images, or past them, have fewer or no strips.
  let strips = (min(img0 + ${perSplit}u, ${g.N}u) - min(img0, ${g.N}u)) * ${g.OH * stripsPerRow}u;
${Array.from({ length: taps * F4 }, (_, i) => `  var acc${Math.floor(i / F4)}_${i % F4} = vec4<f32>(0.0);`).join('\n')}
  for (var s = lid; s < strips; s += ${T}u) {
    let n = img0 + s / ${g.OH * stripsPerRow}u;
    let rem = s % ${g.OH * stripsPerRow}u;
    let oy = rem / ${stripsPerRow}u;
    let ox0 = (rem % ${stripsPerRow}u) * 4u;
${lines.join('\n')}
  }
${Array.from({ length: taps * F4 }, (_, i) => `  red[lid * ${taps * F4}u + ${i}u] = acc${Math.floor(i / F4)}_${i % F4};`).join('\n')}
  workgroupBarrier();
  for (var half = ${T / 2}u; half > 0u; half = half / 2u) {
    if (lid < half) {
      for (var t = 0u; t < ${rolledCount(taps * F4)}; t++) { red[lid * ${taps * F4}u + t] += red[(lid + half) * ${taps * F4}u + t]; }
    }
    workgroupBarrier();
  }
  for (var e = lid; e < ${filters * taps}u; e += ${T}u) {
    let jj = e / ${taps}u;
    let o = o0 + jj;
    let t = e % ${taps}u;
    if (o < ${g.O}u) {
      let flat = ${outIndex};
      let v = red[t * ${F4}u + jj / 4u][jj % 4u];
      out[flat] = ${epilogue ? 'epilogue(flat, v)' : 'v'};
    }
  }
}
`;
  return { code, workgroups: [Math.ceil(g.O / filters), splits, 1] };
}
