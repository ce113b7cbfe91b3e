/**
 * Direct (non-GEMM) kernel for convolutions with small filters, used for conv2d's forward (stride
 * 1 or 2) and, as the same sweep with flipped and transposed filters, its input gradient (stride 1,
 * and stride 2 over gy read as if upsampled: `upsample`).
 *
 *   out[n, oc, oy, ox] = sum_{ic, ky, kx} in[n, ic, s*oy + ky - offY, s*ox + kx - offX] * wt(oc, ic, ky, kx)
 *
 * Why not the implicit GEMM: its gather does integer division and modulo per element of every
 * K-tile, so on lavapipe (SIMD across invocations; a memory read with per-lane addresses is a
 * gather) the 16->32 layer ran at half the matmul's rate. Here a thread owns R output rows x a
 * strip of P neighbouring pixels x T output channels (R*P*T accumulators). Per input channel it
 * reads the workgroup's filter taps (staged in workgroup memory as vec4 over 4 output channels)
 * once, then each of the R+kh-1 input rows its windows share (P+kw-1 reads) once, and does
 * R*P*T*kh*kw multiply-adds. Indices step incrementally; padding is a select on a clamped
 * address, decided once per thread for columns and once per input row for rows, so there is no
 * div/mod and no branch in the loops.
 */
import type { Epilogue } from './epilogue.js';
import type { KernelTarget } from '../../src/ir/op.js';
import { broadcastsBySubgroup, shareAcrossLanes } from './subgroups.js';
import type { GemmKernel } from './gemm.js';
import { dispatch1d, rolledCount } from './dispatch.js';
import { isPointwise, type ConvGeometry } from './conv.js';

const u = (n: number) => `${n}u`;

export interface DirectConvSpec {
  /** One-line description for the shader's header comment. */
  label: string;
  N: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  /** Input row/column of output (0, 0)'s top-left tap is (-offY, -offX): the padding. */
  offY: number;
  offX: number;
  /** Output pixel (oy, ox)'s window starts at input (stride*oy - offY, stride*ox - offX); default 1. */
  stride?: number;
  /**
   * Read the input as if upsampled by this factor with zeros between its pixels (default 1): output
   * (oy, ox) sums in[(oy + ky - offY) / U, (ox + kx - offX) / U] over the taps where both divide.
   * That is a strided layer's input gradient (a transposed convolution); the sweep visits only the
   * taps that meet a real pixel. Needs stride 1 and blocks of whole multiples of U rows and pixels.
   */
  upsample?: number;
  /** WGSL index into in1 (the filters) of tap `tap` = ky * kw + kx for output channel `oc` and input channel `ic` (u32 expressions). */
  weightIndex(oc: string, ic: string, tap: string): string;
}

export interface DirectTiling {
  /** Output pixels per thread along a row. */
  pixels: number;
  /** Output rows per thread (neighbouring rows share kh-1 input rows and every filter tap). */
  rows: number;
  /** Output channels per thread (rounded up to a multiple of 4). */
  channels: number;
}

/** Invocations per workgroup: a multiple of lavapipe's 8 lanes, and enough work per group. */
const WORKGROUP = 64;
/** Workgroup memory for staged filters (of WebGPU's guaranteed 16 KiB). */
const STAGED_WEIGHT_BYTES = 12288;

/**
 * Strip width in [4, 8] that pads the output row least (14 -> 7, 28 -> 7, 9 -> 5); wider on ties.
 * With `multiple`, a multiple of it (an upsampling sweep's blocks start on whole input pixels).
 */
export function stripWidth(outW: number, multiple = 1): number {
  let best = 8;
  for (let p = 8; p >= 4; p--) if (p % multiple === 0 && Math.ceil(outW / p) * p < Math.ceil(outW / best) * best) best = p;
  return Math.ceil(Math.min(best, outW) / multiple) * multiple;
}

/**
 * 2 rows x a strip x 16 channels: on the 16->32 layer (lavapipe, process CPU time, alternating
 * with the GEMM) 1x7x16 was 2.7x/3.2x (forward/input gradient) faster than the GEMM, 2x7x8
 * 3.1x/4.3x, 2x7x16 3.2x/5.7x, 2x4x16 1.9x/2.8x (the narrower strip wastes a column per 14).
 * ResNet's layers at batch 8 (bench/conv-ab.ts, 2026-12-06, load 0.8; GFLOP/s forward / input
 * gradient, the implicit GEMM in brackets): 64->64 on 32x32 2x8x16 21.9 / 20.6 (11.0 / 9.7);
 * 128->128 on 16x16 2x8x16 22.0 / 24.2, 4x4x16 23.4 / 24.2 (10.9 / 11.8); 256->256 on 8x8 2x8x16
 * 22.8 / 25.5, 4x4x16 24.0 / 21.5 (10.4 / 11.3); 512->512 on 4x4 4x4x16 25.1 / 22.4, 2x4x16
 * 15.9 / 14.6, 1x4x16 10.4 / 9.6 (5.9 / 6.4). A 4-pixel strip shares too little of each input
 * row, so it takes 4 rows: 4x4x16 holds as many accumulators as 2x8x16.
 */
export function chooseDirectTiling(s: DirectConvSpec): DirectTiling {
  // An upsampling sweep's blocks are whole multiples of U rows and pixels; it does 1/U^2 of the taps.
  const U = s.upsample ?? 1;
  const whole = (n: number) => Math.ceil(n / U) * U;
  const macs = (s.N * s.outC * s.outH * s.outW * s.inC * s.kh * s.kw) / (U * U);
  const pixels = stripWidth(s.outW, U);
  if (macs < SMALL_DIRECT_MACS) return { pixels, rows: U, channels: Math.min(4, s.outC) };
  // A 1x1 kernel's neighbouring rows share no input row: one row (WRN's 16->160 pointwise input
  // gradient at batch 8, 2026-12-06: 1x8x16 12.8 GFLOP/s, 2x8x16 10.5, 4x8x16 11.4).
  // A layer with <= 4 input channels (an image model's first) takes 4 rows of 8 channels: ResNet's
  // 3->64 at batch 8, process CPU time against 2x8x8 (bench/conv-ab.ts, 2026-12-06): 0.90x; WRN's
  // 3->16 0.90x, and against the small block's 1x8x4 0.62x.
  const rows = whole(s.kh === 1 ? 1 : Math.min(pixels <= 4 || s.inC <= 4 ? 4 : 2, s.outH));
  // An upsampling sweep (a stride-2 layer's input gradient) takes 8 channels: it does a quarter of
  // the multiply-adds per filter tap held, and 16 channels' taps with 256 accumulators ran slower.
  // Same-run at batch 8 with subgroup broadcasts (bench/conv-ab.ts CONV_AB_STRIDE=2, 2026-12-07,
  // load 1.0; GFLOP/s 2x8x8 / 2x8x16 / 4x4x8, by phases in brackets): 64->128 on 32x32 34.9 / 20.9 /
  // 35.5 (13.9); 128->256 30.1 / 20.9 / - (16.2); 256->512 40.6 / - / 35.5 (16.1); WRN's 160->320
  // 43.8 / 25.6 / 41.7 (16.6) and 320->640 46.2 / 27.9 / 44.7 (12.9). (Stride 1 keeps 16: 2x8x8 was
  // 0.65-1.04x 2x8x16 on ResNet's 64-256 layers in the same session.)
  if (U > 1) return { pixels, rows, channels: Math.min(8, s.outC) };
  return { pixels, rows, channels: Math.min(s.inC <= 4 ? 8 : 16, s.outC) };
}

/**
 * What a kernel costs to compile counts too: every distinct shape is a fresh lavapipe compile on a
 * machine's first run, and compile time grows with the accumulators per thread. Before the channel
 * loop and the stores became rolled loops, 1x4x4 (16) compiled in 0.5 s, 2x7x8 (112) in 3-6 s and
 * 2x7x16 (224) in 20-25 s; since then (64->64 layer, empty shader cache, 2026-12-06) 1x8x4 compiles
 * in 0.6 s, 2x8x16 in 3.7 s and 4x4x16 in 4.1 s. Measured per dispatch at batch 64 (bench/conv-ab.ts,
 * 2026-12-06, load 1.5): on the 16->32 layer 2x7x16 took 6.6 / 6.5 ms (forward / input gradient),
 * 2x7x8 9.8 / 7.4, 1x7x4 15.4 / 12.9; on the 1->16 layer (7.2M multiply-adds) 4.9, 4.7 and 7.1 ms
 * forward. So: below 2^23 multiply-adds (a test's layer, a few images) the big blocks save a
 * millisecond or two per dispatch and cost seconds more to compile, and the 1-row, 4-channel block
 * is used; a layer with 4 input channels or fewer gains nothing from 16 channels per thread over 8.
 * Lowered to 2^21 since (same-run A/B, 2026-12-06 evening): the thin layers' 4x8x8 block runs the
 * reference CNN's 1->16 layer at batch 64 (7.2M) in 2.9 ms against 4.3 for 1x7x4 and compiles in
 * 2.1 s against 0.5, repaid within the quickstart's first epoch (11 dispatches a step); WRN's 3->16
 * at batch 8 (3.5M) 1.5 -> 1.1 ms. Tests' layers of a few images stay below 2^21.
 */
export const SMALL_DIRECT_MACS = 1 << 21;

export function directConvKernel(s: DirectConvSpec, epilogue?: Epilogue, tiling?: DirectTiling, target?: KernelTarget): GemmKernel {
  const { pixels: P, rows: R, channels } = tiling ?? chooseDirectTiling(s);
  // On 8-lane subgroups (codegen/wgsl/subgroups.ts) the filter taps come from broadcasts: every
  // thread of a workgroup uses the same taps, so per input channel each lane loads an eighth of
  // them from storage and hands them to the others; no workgroup memory, no barriers. Any grouping
  // of the workgroup's invocations into subgroups works (all want the same taps).
  const sg = broadcastsBySubgroup(target);
  // Channels per thread, in whole vec4s of staged weights.
  const T4 = Math.ceil(channels / 4);
  const T = 4 * T4;
  const taps = s.kh * s.kw;
  const strips = Math.ceil(s.outW / P);
  const bands = Math.ceil(s.outH / R);
  const items = s.N * bands * strips;
  const groupsC = Math.ceil(s.outC / T);
  const S = s.stride ?? 1;
  const U = s.upsample ?? 1;
  if (S > 1 && U > 1) throw new Error(`direct conv: stride ${S} and upsampling ${U} together`);
  if (R % U !== 0 || P % U !== 0) throw new Error(`direct conv: a block of ${R} rows x ${P} pixels is not whole multiples of the upsampling ${U}`);
  // Input rows (columns) the block's windows meet, relative to input row (column) `origin` of the
  // block's first output row (pixel): from rLo to rHi. Without upsampling, the kh-1 rows
  // (kw-1 columns) past the last window's start; with it, those of them that are real pixels.
  const origin = (v: string) => (S > 1 ? `${v} * ${S}i` : U > 1 ? `${v} / ${U}i` : v);
  const rLo = Math.ceil(-s.offY / U);
  const cLo = Math.ceil(-s.offX / U);
  const inRows = Math.floor((S * (R - 1) + s.kh - 1 - s.offY) / U) - rLo + 1;
  const span = Math.floor((S * (P - 1) + s.kw - 1 - s.offX) / U) - cLo + 1;
  const plane = s.inH * s.inW;
  // Input channels whose weights are staged at a time: within the staging budget, and no more than there are.
  const chunk = Math.max(1, Math.min(s.inC, Math.floor(STAGED_WEIGHT_BYTES / (taps * T * 4))));
  const chunks = Math.ceil(s.inC / chunk);
  const acc = (i: number, p: number, t: number) => `acc${i}_${p}_${t}`;

  // Per thread: input column of strip position j, clamped, and whether it is inside the image.
  const cols: string[] = [];
  for (let j = 0; j < span; j++) {
    cols.push(`  let cx${j} = ${origin('ox0')} + ${j + cLo}i;`, `  let okx${j} = cx${j} >= 0i && cx${j} < ${s.inW}i;`, `  let col${j} = u32(clamp(cx${j}, 0i, ${s.inW - 1}i));`);
  }
  // Per input channel: the filter taps once (vec4 over 4 channels), then each of the R+kh-1
  // input rows the thread's R output rows read, feeding every output row that uses it.
  const body: string[] = [];
  if (sg) {
    // Tap vec4 i = tap * T4 + q: 4 output channels from ocBase + 4q.
    const shared = shareAcrossLanes(taps * T4, 'sw', (reg) => [
      `let tap = i / ${u(T4)};`,
      `let oc0 = ocBase + (i % ${u(T4)}) * 4u;`,
      ...[0, 1, 2, 3].map((j) => {
        const load = `${reg}[${j}] = in1[${s.weightIndex(`(oc0 + ${u(j)})`, 'ic', 'tap')}];`;
        return s.outC % T !== 0 ? `if (oc0 + ${u(j)} < ${u(s.outC)}) { ${load} }` : load;
      }),
    ]);
    body.push(...shared.loads.map((l) => `      ${l}`));
    for (let tap = 0; tap < taps; tap++) {
      for (let q = 0; q < T4; q++) body.push(`      let w${q}_${tap} = ${shared.value(tap * T4 + q)};`);
    }
  } else {
    for (let tap = 0; tap < taps; tap++) {
      for (let q = 0; q < T4; q++) body.push(`      let w${q}_${tap} = shW[(icl * ${taps}u + ${tap}u) * ${T4}u + ${q}u];`);
    }
  }
  for (let r = 0; r < inRows; r++) {
    body.push(`      {`, `        let iy = ${origin('oy0')} + ${r + rLo}i;`, `        let oky = iy >= 0i && iy < ${s.inH}i;`, `        let row = planeBase + u32(clamp(iy, 0i, ${s.inH - 1}i)) * ${s.inW}u;`);
    for (let j = 0; j < span; j++) body.push(`        let v${j} = select(0.0, in0[row + col${j}], oky && okx${j});`);
    for (let i = 0; i < R; i++) {
      // Output row i meets this input row through kernel row ky (upsampled: U*(r + rLo) is its
      // offset in the zero-filled input, and rows that fall between real ones have no ky).
      const ky = U * (r + rLo) + s.offY - S * i;
      if (ky < 0 || ky >= s.kh) continue;
      // The kw taps of one kernel row chained per accumulator: one read-modify-write of each
      // accumulator per kernel row (they do not all fit in registers). Pixel p's tap kx reads
      // column (S*p + kx - offX) / U of the block, if that is a whole column.
      for (let t = 0; t < T; t++) {
        for (let p = 0; p < P; p++) {
          let e = acc(i, p, t);
          for (let kx = 0; kx < s.kw; kx++) {
            const col = S * p + kx - s.offX;
            if (col % U !== 0) continue;
            e = `fma(v${col / U - cLo}, w${t >> 2}_${ky * s.kw + kx}[${t & 3}], ${e})`;
          }
          if (e !== acc(i, p, t)) body.push(`        ${acc(i, p, t)} = ${e};`);
        }
      }
    }
    body.push(`      }`);
  }

  // Stores from one rolled loop over the thread's block: written out once per accumulator, the
  // store (and a fused epilogue's index arithmetic and operand reads) made the kernel several times
  // larger; the copy into `res` runs once per thread, after the channel loop.
  const accs: string[] = [];
  const stores: string[] = [`  var res: array<f32, ${R * P * T}>;`];
  for (let i = 0; i < R; i++) {
    for (let t = 0; t < T; t++) {
      for (let p = 0; p < P; p++) {
        accs.push(`  var ${acc(i, p, t)} = 0.0;`);
        stores.push(`  res[${(i * T + t) * P + p}u] = ${acc(i, p, t)};`);
      }
    }
  }
  const conds = [
    'live',
    s.outH % R !== 0 ? `oy < ${s.outH}i` : '',
    s.outW % P !== 0 ? `ox < ${s.outW}i` : '',
    s.outC % T !== 0 ? `oc < ${s.outC}u` : '',
  ].filter(Boolean);
  stores.push(
    `  for (var r = 0u; r < ${rolledCount(R * P * T)}; r++) {`,
    `    let oy = oy0 + i32(r / ${T * P}u);`,
    `    let oc = ocBase + (r / ${P}u) % ${T}u;`,
    `    let ox = ox0 + i32(r % ${P}u);`,
    `    if (${conds.join(' && ')}) { let flat = ((n * ${s.outC}u + oc) * ${s.outH}u + u32(oy)) * ${s.outW}u + u32(ox); out[flat] = ${epilogue ? 'epilogue(flat, res[r])' : 'res[r]'}; }`,
    '  }',
  );

  // A small image (4x4 at batch 8 is 16 items per channel block) would leave most of a 64-wide
  // workgroup idle; lavapipe runs the idle lanes anyway. Narrow the group to the items, in whole
  // 8-lane SIMD rows.
  const WG = Math.min(WORKGROUP, Math.ceil(items / 8) * 8);
  const [gx, gy] = dispatch1d(items, WG);
  const stageCount = chunk * taps * T;
  const stagedChannelLoop = `  for (var c0 = 0u; c0 < ${rolledCount(s.inC)}; c0 += ${chunk}u) {
    workgroupBarrier();
    // Staged once per workgroup rather than read by every thread: lavapipe turns a storage read
    // inside a loop into a per-lane gather even when every lane reads the same address.
    for (var i = lid; i < ${stageCount}u; i += ${WG}u) {
      let t = i % ${T}u;
      let rest = i / ${T}u;
      let ic = c0 + rest / ${taps}u;
      let oc = ocBase + t;
      var wv = 0.0;
      if (ic < ${s.inC}u && oc < ${s.outC}u) { wv = in1[${s.weightIndex('oc', 'ic', `rest % ${taps}u`)}]; }
      shW[rest * ${T4}u + t / 4u][t % 4u] = wv;
    }
    workgroupBarrier();
    for (var icl = 0u; icl < ${rolledCount(chunk)}; icl++) {
${chunks * chunk !== s.inC ? `      if (c0 + icl >= ${s.inC}u) { break; }\n` : ''}${body.join('\n')}
      planeBase += ${plane}u;
    }
  }`;
  const channelLoop = sg
    ? `  for (var ic = 0u; ic < ${rolledCount(s.inC)}; ic++) {\n${body.join('\n')}\n    planeBase += ${plane}u;\n  }`
    : stagedChannelLoop;
  const code = `${sg ? 'enable subgroups;\n' : ''}// direct conv (${s.label}): ${s.N}x${s.inC}x${s.inH}x${s.inW} -> ${s.outC}x${s.outH}x${s.outW}, ${s.kh}x${s.kw} taps${S > 1 ? `, stride ${S}` : ''}${U > 1 ? `, input upsampled x${U}` : ''}, ${R} row(s) x ${P} pixels x ${T} channels per thread
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
${epilogue?.code ?? ''}
@group(0) @binding(${2 + (epilogue?.bindings ?? 0)}) var<storage, read_write> out: array<${epilogue?.outType ?? 'f32'}>;
${sg ? '' : `// The workgroup's filter block for ${chunk} input channel(s): shW[(ic * ${taps} + tap) * ${T4} + t / 4][t % 4].
var<workgroup> shW: array<vec4<f32>, ${chunk * taps * T4}>;`}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32${sg ? ', @builtin(subgroup_invocation_id) lane: u32' : ''}) {
  let ocBase = wid.z * ${T}u;
  let idx = (wid.y * nwg.x + wid.x) * ${WG}u + lid;
  // Threads past the end still load taps and pass the barriers (or broadcasts); they only skip the stores.
  let live = idx < ${items}u;
  let item = min(idx, ${items - 1}u);
  let n = item / ${bands * strips}u;
  let rem = item % ${bands * strips}u;
  let oy0 = i32(rem / ${strips}u) * ${R}i;
  let ox0 = i32(rem % ${strips}u) * ${P}i;
${cols.join('\n')}
${accs.join('\n')}
  var planeBase = n * ${s.inC * plane}u;
${channelLoop}
${stores.join('\n')}
}
`;
  return { code, workgroups: [gx, gy, groupsC] };
}

/**
 * The input gradient of a pointwise layer with fewer than 64 input channels: as a GEMM its M axis
 * (the channels) is too short to reuse gy (WRN's 16->160 shortcut: 8.9 GFLOP/s on a 16x128 tile,
 * 12.8 here with 16 channels per thread, the filters read once per workgroup).
 */
export function directPointwiseGradInputApplies(g: ConvGeometry): boolean {
  return isPointwise(g) && g.C < 64;
}

/**
 * Where the direct kernel runs a stride-1 input gradient: 3x3 filters (the reference CNN's and
 * ResNet's layers), the shapes it was measured on; other filters keep the implicit GEMM.
 */
export function directConvApplies(g: ConvGeometry): boolean {
  // Any channel count: the staged filters come in chunks of input channels, and the block per
  // thread does not depend on the widths (ResNet's 64-512 channels run at 2-4x the implicit GEMM;
  // figures at chooseDirectTiling).
  return g.sh === 1 && g.sw === 1 && g.kh === 3 && g.kw === 3;
}

/**
 * The forward pass also runs 3x3 layers of stride 2 (ResNet's and WRN's downsampling) on the direct
 * kernel, each thread's windows 2 apart: same-run at batch 8 on lavapipe with subgroup broadcasts
 * (2026-12-06 22:58), against the implicit GEMM: 64->128 on 32x32 1.26-1.39x, 128->256 1.23x,
 * 256->512 1.37x, WRN's 160->320 1.38x and 320->640 1.06-1.42x; bit for bit the GEMM's results
 * (the same products in the same order). The input gradient of a strided layer is another
 * sweep (its phases), which this kernel does not do.
 */
export function directForwardApplies(g: ConvGeometry): boolean {
  return g.kh === 3 && g.kw === 3 && g.sh === g.sw && (g.sh === 1 || g.sh === 2);
}

/** The layer's stride, one number: the direct kernel sweeps both axes alike. */
function squareStride(g: ConvGeometry): number {
  if (g.sh !== g.sw) throw new Error(`direct conv: stride ${g.sh}x${g.sw} must be the same along both axes`);
  return g.sh;
}

/** y = conv2d(x, w) by the direct kernel: inputs x (binding 0), w (binding 1). */
export function conv2dForwardDirectKernel(g: ConvGeometry, epilogue?: Epilogue, tiling?: DirectTiling, target?: KernelTarget): GemmKernel {
  const spec: DirectConvSpec = {
    label: 'forward',
    N: g.N, inC: g.C, inH: g.H, inW: g.W, outC: g.O, outH: g.OH, outW: g.OW, kh: g.kh, kw: g.kw, offY: g.ph, offX: g.pw,
    stride: squareStride(g),
    weightIndex: (oc, ic, tap) => `(${oc} * ${g.C}u + ${ic}) * ${g.kh * g.kw}u + ${tap}`,
  };
  return directConvKernel(spec, epilogue, tiling, target);
}

/**
 * The input gradient of a 3x3 layer of stride 2 (ResNet's and WRN's downsampling layers) by the
 * direct kernel, as the stride-1 sweep over gy upsampled by 2 (a transposed convolution).
 */
export function directStridedGradInputApplies(g: ConvGeometry): boolean {
  return g.kh === 3 && g.kw === 3 && g.sh === 2 && g.sw === 2;
}

/**
 * dx = conv2d_grad_input(gy, w): the same sweep over gy with the filters transposed (dx channel c
 * reads w[:, c]) and flipped (tap (ky, kx) is w's (kh-1-ky, kw-1-kx)), offset by kh-1-ph rows and
 * kw-1-pw columns. A strided layer's gy is read as if upsampled by the stride (gy[oy, ox] at
 * (s*oy, s*ox), zeros between): each block of dx visits only the taps that land on a real gy pixel
 * (a quarter of them at stride 2, in the same blocks as the phases of
 * conv2dGradInputStridedKernel, without a GEMM per phase). Inputs gy (binding 0), w (binding 1).
 */
export function conv2dGradInputDirectKernel(g: ConvGeometry, epilogue?: Epilogue, tiling?: DirectTiling, target?: KernelTarget): GemmKernel {
  const stride = squareStride(g);
  const spec: DirectConvSpec = {
    label: stride > 1 ? 'strided grad input' : 'grad input',
    N: g.N, inC: g.O, inH: g.OH, inW: g.OW, outC: g.C, outH: g.H, outW: g.W, kh: g.kh, kw: g.kw, offY: g.kh - 1 - g.ph, offX: g.kw - 1 - g.pw,
    upsample: stride,
    // Flipping both ky and kx of a row-major tap index: (kh-1-ky)*kw + (kw-1-kx) = kh*kw-1 - tap.
    weightIndex: (oc, ic, tap) => `(${ic} * ${g.C}u + ${oc}) * ${g.kh * g.kw}u + ${g.kh * g.kw - 1}u - ${tap}`,
  };
  return directConvKernel(spec, epilogue, tiling, target);
}
