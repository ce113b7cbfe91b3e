/**
 * A register-tiled GEMM kernel generator: C[batch][M][N] = sum_k A(batch, m, k) * B(batch, k, n).
 *
 * Matmul and the three convolution kernels (implicit GEMM) are all instances: they differ only
 * in how an element of A or B is fetched (a strided matrix, or an on-the-fly im2col gather)
 * and in where an element of C is stored. The tiling (after TF.js's webgpu matmul):
 *  - a workgroup of threadsN x threadsM threads computes a tileM x tileN block of C, each thread
 *    a regM x regN sub-block held in vec4 registers (regN is a multiple of 4);
 *  - K is walked in tiles of tileK; each step the workgroup stages A's tileK x tileM and B's
 *    tileK x tileN slices in workgroup memory, k-major and vec4-packed along m/n, so the
 *    inner loop does one vec4 read per 4 rows/columns and regM*regN/4 vec4 FMAs per k;
 *  - strided-matrix operands whose contiguous axis is a multiple of 4 are read as vec4 from
 *    storage (the binding is declared array<vec4<f32>>, same buffer, same bytes).
 * Shapes are constants in the code, so bounds checks are emitted only where a size is not a
 * multiple of its tile.
 */
import { MAX_WORKGROUPS_PER_DIM, rolledCount } from './dispatch.js';
import type { Epilogue } from './epilogue.js';
import { broadcastsBySubgroup } from './subgroups.js';
import { InternalError } from '../../src/util/internal-error.js';
import type { KernelTarget } from '../../src/ir/op.js';

/**
 * Element (mn, k) of an operand, mn being m for A and n for B. `offset` is a WGSL expression
 * of `batch` giving the matrix's first element (0 when it has no batch).
 */
export interface MatrixOperand {
  kind: 'matrix';
  binding: number;
  /** 'k': element at offset + mn*K + k (A untransposed, B transposed); 'mn': offset + k*MN + mn. */
  contiguous: 'k' | 'mn';
  offset: string;
  /**
   * With contiguous 'k' only: K is a run of `length`-long rows, one per matrix, `stride` apart
   * (element (mn, k) at offset + (k / length) * stride + mn * length + k % length): a pointwise
   * convolution's weight gradient sums over the pixels of several images, each its own matrix.
   */
  kPeriod?: { length: number; stride: number };
}

/** Index of element (mn, k) of a matrix operand from its first element, as WGSL. */
function matrixIndex(op: MatrixOperand, MN: number, K: number, mn: string, k: string): string {
  if (op.contiguous === 'mn') return `${k} * ${u(MN)} + ${mn}`;
  if (!op.kPeriod) return `${mn} * ${u(K)} + ${k}`;
  const { length, stride } = op.kPeriod;
  return `(${k} / ${u(length)}) * ${u(stride)} + ${mn} * ${u(length)} + ${k} % ${u(length)}`;
}

/**
 * A gather, called only with mn < MN and k < K. Without `row`, `body` is the WGSL body of
 * `fn(batch: u32, mn: u32, k: u32) -> f32`. With `row` (the body of
 * `fn(batch: u32, mn: u32) -> vec4<i32>`), the mn-dependent part of the address arithmetic is
 * computed once per thread before the K loop (a thread stages the same rows of every K-tile)
 * and `body` is that of `fn(batch: u32, r: vec4<i32>, k: u32) -> f32`.
 */
export interface GatherOperand {
  kind: 'gather';
  row?: string;
  body: string;
}

export type Operand = MatrixOperand | GatherOperand;

export interface GemmTiling {
  /** Threads along m and n; the workgroup has threadsM * threadsN invocations. */
  threadsM: number;
  threadsN: number;
  /** Outputs per thread along m and n (multiples of 4). */
  regM: number;
  regN: number;
  /** K-tile depth, a multiple of 4. */
  tileK: number;
  /** Unroll the loop over the K-tile in the generated code. */
  unrollK?: boolean;
}

export interface GemmSpec {
  M: number;
  N: number;
  K: number;
  batch: number;
  a: Operand;
  b: Operand;
  /** Number of input bindings (the epilogue's bindings, then the output binding, follow them). */
  inputCount: number;
  /**
   * Where C(batch, m, n) goes: a WGSL expression of `batch`, `m`, `n` giving its index in `out`.
   * Default: row-major out[batch][M][N], vectorised when N is a multiple of 4 and there is no epilogue.
   */
  storeIndex?: string;
  /**
   * A WGSL u32 expression of `batch`: this batch's own depth (<= K), for GEMMs whose batches sum
   * over different lengths (the phases of a strided convolution's input gradient). The K loop
   * stops after the tile holding the last of it; the gathers must return 0 past it within that tile.
   */
  depth?: string;
  /** A WGSL bool of `batch`, `m`, `n`: C(batch, m, n) is stored only where it holds. */
  storeGuard?: string;
  /**
   * Instead of storeIndex and storeGuard: the body of `fn storeC(batch: u32, m: u32, n: u32, v: f32)`,
   * which stores through `put(flat: u32, v: f32)` (the epilogue applied) as many elements as it
   * likes: a strided 1x1 convolution's input gradient writes the zeros between its values.
   */
  storeBody?: string;
  /** Elementwise consumers applied to each element as it is stored (codegen/wgsl/epilogue.ts). */
  epilogue?: Epilogue;
  /** What the GEMM computes, for the kernel's header comment (e.g. 'conv by phases'). */
  label?: string;
  /** Extra module-scope WGSL (constants, helpers) the gathers and store use. */
  prelude?: string;
  tiling?: GemmTiling;
  /**
   * What the device offers beyond WebGPU's baseline: with 8-lane subgroups and a tiling that fits
   * (subgroupReadsA), A is broadcast across subgroups, not staged.
   */
  target?: KernelTarget;
}

export interface GemmKernel {
  code: string;
  workgroups: [number, number, number];
}

/** K-tile depth: 16, or K rounded up to 4 when K is shorter (a 3x3 single-channel conv has K = 9). */
export function tileDepth(K: number): number {
  return K >= 16 ? 16 : Math.max(4, Math.ceil(K / 4) * 4);
}

/**
 * Candidate tilings with their relative efficiency on a filled tile, from measurements on
 * lavapipe (bench/kernels.ts; CPU-time-normalised because the host is shared): 8x8 register
 * blocks do twice the FMAs per workgroup-memory read of 4x4 ones, so they run about twice as
 * fast; smaller tiles exist only to avoid padding a short axis (16 filters, 1 channel).
 */
export interface GemmCandidate {
  tiling: Omit<GemmTiling, 'tileK'>;
  /** Relative speed on a filled tile (the 8x8 block = 1). */
  efficiency: number;
  /** Only when both operands are strided matrices (no gather). */
  matricesOnly?: boolean;
  /** K-tile depth, when not tileDepth(K). */
  tileK?: number;
}

export const GEMM_CANDIDATES: readonly GemmCandidate[] = [
  // 16x16 per thread, K-tiles of 8: 32 values read from workgroup memory per 256 FMAs (8 per 128
  // FMAs fewer than 8x16), and a block as large as the direct convolution's, which reaches 20-30
  // GFLOP/s. Same-run A/B on lavapipe (bench/matmul-ab.ts, 2026-12-06, shared host at load ~1):
  // 256^3 / 512^3 / 1024^3 at 16.0 / 16.2 / 14.1 GFLOP/s against 8x16's 11.9 / 11.7 / 10.3
  // (1.35-1.38x); 20.0-21.5 at 512^3 in quieter rounds. K-tiles of 16 or 4 and 32x16 blocks were no
  // better. Compiles in 3.6 s against 2.4 s. The convolutions' gathers gain as much where their axes
  // fill the tile (batch 8): 256->256 on 8x8 weight gradient 12.3 -> 20.5 GFLOP/s, 128->256 stride
  // 2 forward 12.1 -> 20.8; compiled in 1.3 s against 0.9 s.
  { tiling: { threadsM: 8, threadsN: 8, regM: 16, regN: 16 }, efficiency: 1.45, tileK: 8 }, // 128x128
  // The same block on half the rows, for products too small to give the 128x128 tile's
  // workgroups to both cores: a row of 8 threads is one subgroup on lavapipe, so it broadcasts A
  // (subgroupReadsA). ResNet-18's 256->512 1x1 stride-2 input gradient at batch 8 (same run,
  // 2026-12-06 22:19): 4.01 ms on the 64x64 8x8 tile it had, 2.51 ms here, 2.55 on 128x128.
  { tiling: { threadsM: 4, threadsN: 8, regM: 16, regN: 16 }, efficiency: 1.45, tileK: 8 }, // 64x128
  // 8x16 per thread: 24 values read from workgroup memory per 128 FMAs instead of 16 per 64
  // (llvmpipe reads workgroup memory lane by lane): 0-20% less CPU time per dispatch than the
  // 8x8 block on lavapipe, bench/matmul-ab.ts (docs/performance.md, "The matmul ceiling").
  // Matmul only: a gather's hoisted rows would double with half the threads staging the tile.
  { tiling: { threadsM: 8, threadsN: 4, regM: 8, regN: 16 }, efficiency: 1.1, matricesOnly: true }, // 64x64
  { tiling: { threadsM: 8, threadsN: 8, regM: 8, regN: 8 }, efficiency: 1.0 }, // 64x64
  { tiling: { threadsM: 4, threadsN: 4, regM: 8, regN: 8 }, efficiency: 0.95 }, // 32x32
  { tiling: { threadsM: 8, threadsN: 2, regM: 8, regN: 8 }, efficiency: 0.9 }, // 64x16
  { tiling: { threadsM: 2, threadsN: 8, regM: 8, regN: 8 }, efficiency: 0.9 }, // 16x64
  { tiling: { threadsM: 16, threadsN: 4, regM: 4, regN: 4 }, efficiency: 0.6 }, // 64x16
  { tiling: { threadsM: 4, threadsN: 16, regM: 4, regN: 4 }, efficiency: 0.6 }, // 16x64
  { tiling: { threadsM: 4, threadsN: 4, regM: 4, regN: 4 }, efficiency: 0.5 }, // 16x16
  { tiling: { threadsM: 16, threadsN: 1, regM: 4, regN: 4 }, efficiency: 0.4 }, // 64x4
  { tiling: { threadsM: 1, threadsN: 16, regM: 4, regN: 4 }, efficiency: 0.4 }, // 4x64
];

/** Workgroups that keep lavapipe's worker threads (one per core) busy and balanced. */
const PARALLEL_WORKGROUPS = 4;

/**
 * Below this many multiply-adds (all batches) a product takes blocks of at most 8x8 per thread.
 * What a kernel costs to compile counts too: lavapipe compiles every distinct shape at its first
 * dispatch, and the 16x16 blocks on fitted tiles took 17-18 s each for an MLP's [12 x 24] x
 * [24 x 784] products (tiles of 16x208, 13 threads; the tests' mixed-architectures file spent
 * 70 of its 82 cold seconds on four of them), where an 8x8 block compiles in under a second. A
 * product this small runs in a fraction of a millisecond either way. Results do not change: every
 * tiling sums each output over k in the same order.
 */
export const SMALL_GEMM_MACS = 1 << 20;

/**
 * The candidate with the least estimated time: padded tile work over efficiency, scaled up
 * when there are too few workgroups to occupy every core. `matrices`: both operands are strided
 * matrices (no gather), which admits the matmul-only tilings.
 */
export function chooseTiling(M: number, N: number, K: number, batch = 1, matrices = false): GemmTiling {
  return rankTilings(M, N, K, batch, matrices).tiling;
}

/**
 * chooseTiling's choice and its estimated cost: padded multiply-adds per row of K over the
 * tile's efficiency, scaled up when the workgroups cannot occupy every core. Costs of different
 * batches compare, so a caller can weigh splitting K into batches (conv2d's weight gradient).
 */
export function rankTilings(M: number, N: number, K: number, batch = 1, matrices = false): { tiling: GemmTiling; cost: number } {
  let best: GemmTiling | undefined;
  let bestCost = Infinity;
  const small = M * N * K * batch < SMALL_GEMM_MACS;
  for (const { tiling, efficiency, matricesOnly, tileK } of [...GEMM_CANDIDATES, ...fittedCandidates(M, N, matrices)]) {
    if (matricesOnly && !matrices) continue;
    if (small && tiling.regM * tiling.regN > 64) continue;
    const tm = tiling.threadsM * tiling.regM;
    const tn = tiling.threadsN * tiling.regN;
    const groups = Math.ceil(M / tm) * Math.ceil(N / tn) * batch;
    const work = groups * tm * tn;
    const cost = (work / efficiency) * (PARALLEL_WORKGROUPS / Math.min(groups, PARALLEL_WORKGROUPS));
    if (cost < bestCost) {
      bestCost = cost;
      best = { ...tiling, tileK: Math.min(tileK ?? Infinity, tileDepth(K)) };
    }
  }
  return { tiling: best!, cost: bestCost };
}

/**
 * Tile length for an axis of length L that a 128-wide tile would pad: L cut into ceil(L / 256)
 * equal tiles, rounded up to 16 (160 -> 160, 320 -> 2 x 160, 576 -> 3 x 192).
 */
function fittedLength(L: number): number {
  return Math.ceil(L / Math.ceil(L / 256) / 16) * 16;
}

/**
 * The 16x16 block on tiles fitted to the axes (fittedLength) where a 128-wide tile would pad them,
 * each axis fitted or 128: WRN-34-10's 160 filters (its 160->160 weight gradient at batch 8 ran at
 * 7.5 GFLOP/s on a 64x16 tile, 9.3 on 128x128, 13.5 on 128x160; the 16->160 3x3 weight gradient
 * 5.9 on 32x32, 13.2 on 160x144; the 16->160 pointwise forward 6.4 on 32x32, 11.4 on 160x128;
 * bench A/Bs 2026-12-06). Axes shorter than 64 are fitted only when both operands are matrices
 * (WRN's 16->160 pointwise weight gradient 5.9 -> 8.9 GFLOP/s on 160x16): a thread stages
 * 512 / (the other tile's length) groups of 4 per K-tile in unrolled code, which for gathers on a
 * 16-wide tile means 128 inlined gathers per K-tile; such kernels compiled in 12-48 s.
 */
export function fittedCandidates(M: number, N: number, matrices = false): GemmCandidate[] {
  const lengths = (L: number) => {
    if (L >= 64) return L % 128 !== 0 ? [128, fittedLength(L)] : [128];
    // Matrices stage 4x4 blocks (tileLoadAlongK) or vec4s, a gather 4 scalar calls per group.
    return matrices ? [128, Math.ceil(L / 16) * 16] : [128];
  };
  const out: GemmCandidate[] = [];
  for (const tm of lengths(M)) {
    for (const tn of lengths(N)) {
      if (tm === 128 && tn === 128) continue; // GEMM_CANDIDATES' own
      // At least one SIMD row of llvmpipe's (8 lanes on AVX2): a 32x16 tile would have 2 threads.
      if ((tm / 16) * (tn / 16) < 8) continue;
      // A 16-wide axis and 160 on the other would be 10 threads, a SIMD row and a quarter of one:
      // 8 threads of 20 rows instead (WRN's 16->160 pointwise weight gradient at batch 8, same
      // run, 2026-12-06 22:12: 5.21 -> 4.06 ms; 20x8 blocks on 16 threads 4.77).
      const oneRow = (long: number, short: number) => short === 16 && (long / 16) % 8 !== 0 && (long / 8) % 4 === 0 && long / 8 <= 20;
      if (oneRow(tm, tn)) out.push({ tiling: { threadsM: 8, threadsN: 1, regM: tm / 8, regN: 16 }, efficiency: 1.45, tileK: 8 });
      else if (oneRow(tn, tm)) out.push({ tiling: { threadsM: 1, threadsN: 8, regM: 16, regN: tn / 8 }, efficiency: 1.45, tileK: 8 });
      else out.push({ tiling: { threadsM: tm / 16, threadsN: tn / 16, regM: 16, regN: 16 }, efficiency: 1.45, tileK: 8 });
    }
  }
  return out;
}

/** WebGPU guarantees 16 KiB of workgroup memory; both staged K-tiles must fit. */
const WORKGROUP_BYTES = 16384;

const u = (n: number) => `${n}u`;

/** A WGSL vec4 of `lanes` scalar expressions. */
const vec4Of = (lanes: string[]) => `vec4<f32>(${lanes.join(', ')})`;

/** Does this operand read a vec4 straight from storage? */
function isVectorised(op: Operand, MN: number, K: number): boolean {
  if (op.kind !== 'matrix') return false;
  // A group of 4 along k stays within one period's row (and aligned) when its length is a multiple of 4.
  return op.contiguous === 'k' ? K % 4 === 0 && (op.kPeriod?.length ?? 4) % 4 === 0 && (op.kPeriod?.stride ?? 4) % 4 === 0 : MN % 4 === 0;
}

/**
 * Code that loads this operand's tileK x tileMN slice into workgroup memory `sh` (k-major,
 * vec4-packed along mn). Each thread loads groups of 4 consecutive mn at one k (one vec4 shared
 * store; one vec4 load from a vectorised matrix contiguous along mn); matrices contiguous along
 * k go through tileLoadAlongK.
 */
function tileLoad(name: 'A' | 'B', op: Operand, MN: number, K: number, tileMN: number, tileK: number, threads: number, bindingVar: string): string {
  const mnBase = name === 'A' ? 'rowBase' : 'colBase';
  const groups = (tileMN * tileK) / 4;
  const iters = Math.ceil(groups / threads);
  const mn4 = tileMN / 4;
  const needMn = MN % tileMN !== 0;
  const needK = K % tileK !== 0;
  const lines: string[] = [];
  const vec = isVectorised(op, MN, K);
  const alongK = vec && op.kind === 'matrix' && op.contiguous === 'k';
  if (alongK) return tileLoadAlongK(name, op as MatrixOperand, MN, K, tileMN, tileK, threads, bindingVar);
  for (let it = 0; it < iters; it++) {
    const g = `${name.toLowerCase()}g${it}`;
    lines.push(`  {`, `    let ${g} = lid + ${u(it * threads)};`);
    const guardGroup = (it + 1) * threads > groups;
    if (guardGroup) lines.push(`    if (${g} < ${u(groups)}) {`);
    // 4 consecutive mn at one k.
    lines.push(`    let kl = ${g} / ${u(mn4)};`, `    let mnl = (${g} % ${u(mn4)}) * 4u;`);
    lines.push(`    let mn = ${mnBase} + mnl;`, `    let k = kBase + kl;`);
    if (vec) {
      const conds = [needMn ? `mn < ${u(MN)}` : '', needK ? `k < ${u(K)}` : ''].filter(Boolean);
      const load = `${bindingVar}[(${name.toLowerCase()}Off + k * ${u(MN)} + mn) / 4u]`;
      lines.push(`    var v = vec4<f32>(0.0);`);
      lines.push(conds.length ? `    if (${conds.join(' && ')}) { v = ${load}; }` : `    v = ${load};`);
      lines.push(`    sh${name}[kl * ${u(mn4)} + mnl / 4u] = v;`);
    } else {
      const hoisted = op.kind === 'gather' && op.row !== undefined;
      const arg = (j: number) => (hoisted ? `r${name}_${it}_${j}` : `mn + ${u(j)}`);
      const lanes = [0, 1, 2, 3].map((j) => `load${name}(batch, ${arg(j)}, k)`);
      // Branch rather than select(): select evaluates both arms, and a gather must never run out of range.
      if (needMn || needK) {
        lines.push(`    var v = vec4<f32>(0.0);`);
        [0, 1, 2, 3].forEach((j) => {
          const conds = [needMn ? `mn + ${u(j)} < ${u(MN)}` : '', needK ? `k < ${u(K)}` : ''].filter(Boolean);
          lines.push(`    if (${conds.join(' && ')}) { v[${j}] = load${name}(batch, ${arg(j)}, k); }`);
        });
        lines.push(`    sh${name}[kl * ${u(mn4)} + mnl / 4u] = v;`);
      } else {
        lines.push(`    sh${name}[kl * ${u(mn4)} + mnl / 4u] = ${vec4Of(lanes)};`);
      }
    }
    if (guardGroup) lines.push(`    }`);
    lines.push(`  }`);
  }
  return lines.join('\n');
}

/**
 * tileLoad for a matrix contiguous along k, read as vec4: each thread loads a 4x4 block (4
 * consecutive mn, 4 consecutive k; K % 4 == 0, so a group of 4 k is wholly in or out of range)
 * and transposes it in registers into 4 vec4 stores along mn, where storing each loaded vec4's
 * lanes one by one took 16 scalar workgroup-memory stores per 16 elements. Measured neutral on the
 * matmul (same-run A/B, 2026-12-06: 512^3 19.6 -> 19.7 GFLOP/s, 256^3 9.8 -> 10.6, compile 2.2 ->
 * 2.8 s at 1024^3); kept for its fewer stores, not for a measured gain.
 */
function tileLoadAlongK(name: 'A' | 'B', op: MatrixOperand, MN: number, K: number, tileMN: number, tileK: number, threads: number, bindingVar: string): string {
  const mnBase = name === 'A' ? 'rowBase' : 'colBase';
  const quads = (tileMN * tileK) / 16;
  const tk4 = tileK / 4;
  const mn4 = tileMN / 4;
  const needMn = MN % tileMN !== 0;
  const needK = K % tileK !== 0;
  const lines: string[] = [];
  for (let it = 0; it < Math.ceil(quads / threads); it++) {
    const q = `${name.toLowerCase()}q${it}`;
    lines.push(`  {`, `    let ${q} = lid + ${u(it * threads)};`);
    const guardQuad = (it + 1) * threads > quads;
    if (guardQuad) lines.push(`    if (${q} < ${u(quads)}) {`);
    lines.push(`    let mnq = ${q} / ${u(tk4)};`, `    let kl = (${q} % ${u(tk4)}) * 4u;`, `    let k = kBase + kl;`);
    for (let i = 0; i < 4; i++) {
      const mn = `${mnBase} + mnq * 4u + ${u(i)}`;
      const conds = [needMn ? `${mn} < ${u(MN)}` : '', needK ? `k < ${u(K)}` : ''].filter(Boolean);
      const load = `${bindingVar}[(${name.toLowerCase()}Off + ${matrixIndex(op, MN, K, `(${mn})`, 'k')}) / 4u]`;
      lines.push(`    var v${i} = vec4<f32>(0.0);`);
      lines.push(conds.length ? `    if (${conds.join(' && ')}) { v${i} = ${load}; }` : `    v${i} = ${load};`);
    }
    for (let j = 0; j < 4; j++) lines.push(`    sh${name}[(kl + ${u(j)}) * ${u(mn4)} + mnq] = vec4<f32>(v0[${j}], v1[${j}], v2[${j}], v3[${j}]);`);
    if (guardQuad) lines.push(`    }`);
    lines.push(`  }`);
  }
  return lines.join('\n');
}

/** Per-thread row setup of a gather with `row`, hoisted out of the K loop (same indexing as tileLoad). */
function hoistedRows(name: 'A' | 'B', op: Operand, tileMN: number, tileK: number, threads: number): string {
  if (op.kind !== 'gather' || op.row === undefined) return '';
  const mnBase = name === 'A' ? 'rowBase' : 'colBase';
  const iters = Math.ceil((tileMN * tileK) / 4 / threads);
  const lines: string[] = [];
  for (let it = 0; it < iters; it++) {
    const mnl = `((lid + ${u(it * threads)}) % ${u(tileMN / 4)}) * 4u`;
    for (let j = 0; j < 4; j++) lines.push(`  let r${name}_${it}_${j} = row${name}(batch, ${mnBase} + ${mnl} + ${u(j)});`);
  }
  return lines.join('\n');
}

/** Scalar accessor functions for gathers and unvectorised matrices. */
function operandFunctions(name: 'A' | 'B', op: Operand, MN: number, K: number, bindingVar: string): string {
  if (op.kind === 'gather' && op.row !== undefined) {
    return `fn row${name}(batch: u32, mn: u32) -> vec4<i32> {\n${op.row}\n}\nfn load${name}(batch: u32, r: vec4<i32>, k: u32) -> f32 {\n${op.body}\n}`;
  }
  if (op.kind === 'gather') return `fn load${name}(batch: u32, mn: u32, k: u32) -> f32 {\n${op.body}\n}`;
  if (isVectorised(op, MN, K)) return '';
  const idx = matrixIndex(op, MN, K, 'mn', 'k');
  return `fn load${name}(batch: u32, mn: u32, k: u32) -> f32 {\n  return ${bindingVar}[${op.offset} + ${idx}];\n}`;
}

function operandOffset(name: 'A' | 'B', op: Operand): string {
  return op.kind === 'matrix' ? `  let ${name.toLowerCase()}Off = ${op.offset};` : '';
}

/**
 * A read from storage and broadcast across each subgroup instead of staged in workgroup memory
 * (bench/subgroup-ab.ts, 2026-12-06 on lavapipe: 1.17-1.26x at 512^3 and 1024^3, same results):
 * every thread of one row of the workgroup (threadsN of them) uses the same 16 rows of A, so with
 * 8-lane subgroups and the 16x16 block over K-tiles of 8 the lanes of a subgroup can split those
 * rows' 128 values between them, 16 each, and hand each value to the others as the inner loop
 * needs it, with no workgroup-memory store, read or barrier for A. A may be a matrix read as vec4
 * or anything read element by element (a convolution's gather, hoisted per row as the staged path
 * hoists it: here for the 2 rows a lane owns). Which 8 invocations form a subgroup is the
 * implementation's choice, so a subgroup takes its row of the tile from a workgroup counter and
 * each lane its column from subgroup_invocation_id, rather than from local_invocation_id.
 */
export function subgroupReadsA(spec: Pick<GemmSpec, 'target'>, t: GemmTiling): boolean {
  return broadcastsBySubgroup(spec.target) && t.threadsN === 8 && t.regM === 16 && t.tileK === 8;
}

/**
 * The subgroup path's per-K-tile loads of A into registers, and the inner loop's A values, as
 * WGSL. Contiguous along k, lane l holds rows 2l and 2l+1 of the subgroup's 16 (two vec4 each:
 * k 0-3 and 4-7); contiguous along m, it holds k = l for all 16 rows (four vec4). Rows past M and
 * k past K read 0, as the staged path stages them.
 */
function subgroupA(op: Operand, M: number, K: number, tileM: number, bindingVar: string): { coords: string[]; loads: string[]; value: (i: number, kk: number) => string } {
  const loads: string[] = [];
  // A lane's two rows of the subgroup's 16 (and a gather's rows hoisted for them).
  const rowCoords = ['  let sgRow = rowBase + ty * 16u + 2u * tx;', ...(op.kind === 'gather' && op.row !== undefined ? ['  let sgA0 = rowA(batch, sgRow);', '  let sgA1 = rowA(batch, sgRow + 1u);'] : [])];
  const needK = K % 8 !== 0;
  const needM = M % tileM !== 0;
  // Row i is lane i/2's row i%2; k kk its low or high vec4's lane kk%4.
  const byRows = (i: number, kk: number) => `subgroupBroadcast(sa${i % 2}${kk < 4 ? 'l' : 'h'}[${kk % 4}], ${u(i >> 1)})`;
  if (op.kind !== 'matrix' || !isVectorised(op, M, K)) {
    // Element by element, as tileLoad stages them: a branch, not select(), so that a gather never
    // runs out of range; a gather with `row` uses the rows hoisted for this lane (sgA0, sgA1).
    const hoisted = op.kind === 'gather' && op.row !== undefined;
    for (let r = 0; r < 2; r++) {
      const row = `(sgRow + ${u(r)})`;
      for (const half of ['l', 'h']) loads.push(`    var sa${r}${half} = vec4<f32>(0.0);`);
      for (let kk = 0; kk < 8; kk++) {
        const k = `kBase + ${u(kk)}`;
        const conds = [needM ? `${row} < ${u(M)}` : '', needK ? `${k} < ${u(K)}` : ''].filter(Boolean);
        const load = `sa${r}${kk < 4 ? 'l' : 'h'}[${kk % 4}] = loadA(batch, ${hoisted ? `sgA${r}` : row}, ${k});`;
        loads.push(conds.length ? `    if (${conds.join(' && ')}) { ${load} }` : `    ${load}`);
      }
    }
    return { coords: rowCoords, loads, value: byRows };
  }
  if (op.contiguous === 'k') {
    for (let r = 0; r < 2; r++) {
      const row = `(sgRow + ${u(r)})`;
      for (const [half, k] of [['l', 'kBase'], ['h', 'kBase + 4u']] as const) {
        const conds = [needM ? `${row} < ${u(M)}` : '', needK ? `${k} < ${u(K)}` : ''].filter(Boolean);
        const load = `${bindingVar}[(aOff + ${matrixIndex(op, M, K, row, `(${k})`)}) / 4u]`;
        loads.push(`    var sa${r}${half} = vec4<f32>(0.0);`, conds.length ? `    if (${conds.join(' && ')}) { sa${r}${half} = ${load}; }` : `    sa${r}${half} = ${load};`);
      }
    }
    return { coords: rowCoords, loads, value: byRows };
  }
  // Contiguous along m: the lane's k of the K-tile, for all 16 rows.
  loads.push('    let sgK = kBase + tx;');
  for (let c = 0; c < 4; c++) {
    const row = `rowBase + ty * 16u + ${u(4 * c)}`;
    const conds = [needM ? `${row} < ${u(M)}` : '', needK ? `sgK < ${u(K)}` : ''].filter(Boolean);
    const load = `${bindingVar}[(aOff + ${matrixIndex(op, M, K, `(${row})`, 'sgK')}) / 4u]`;
    loads.push(`    var sa${c} = vec4<f32>(0.0);`, conds.length ? `    if (${conds.join(' && ')}) { sa${c} = ${load}; }` : `    sa${c} = ${load};`);
  }
  return { coords: [], loads, value: (i, kk) => `subgroupBroadcast(sa${i >> 2}[${i % 4}], ${u(kk)})` };
}

export function gemmKernel(spec: GemmSpec): GemmKernel {
  const { M, N, K, batch } = spec;
  const t = spec.tiling ?? chooseTiling(M, N, K, batch);
  if (t.regN % 4 !== 0 || t.tileK % 4 !== 0) throw new InternalError('gemm: regN and tileK must be multiples of 4');
  const tileM = t.threadsM * t.regM;
  const tileN = t.threadsN * t.regN;
  if (tileM % 4 !== 0) throw new InternalError('gemm: tileM must be a multiple of 4');
  if ((tileM + tileN) * t.tileK * 4 > WORKGROUP_BYTES) throw new Error(`gemm: ${tileM}x${tileN}x${t.tileK} tiles exceed ${WORKGROUP_BYTES} bytes of workgroup memory`);
  const threads = t.threadsM * t.threadsN;
  const groupsM = Math.ceil(M / tileM);
  const groupsN = Math.ceil(N / tileN);
  if (groupsM > MAX_WORKGROUPS_PER_DIM || groupsN > MAX_WORKGROUPS_PER_DIM || batch > MAX_WORKGROUPS_PER_DIM) {
    throw new Error(`gemm: ${batch}x${M}x${N} needs more than ${MAX_WORKGROUPS_PER_DIM} workgroups in one dimension`);
  }

  // An epilogue computes per element (its broadcast operands need each element's index).
  const vecOut = !spec.storeIndex && !spec.storeGuard && !spec.storeBody && !spec.epilogue && N % 4 === 0;
  const outBinding = spec.inputCount + (spec.epilogue?.bindings ?? 0);
  const outType = spec.epilogue?.outType ?? 'f32';
  const bindingDecl = (i: number, op: Operand | undefined) => {
    const vec = op && isVectorised(op, op === spec.a ? M : N, K);
    return `@group(0) @binding(${i}) var<storage, read> in${i}: array<${vec ? 'vec4<f32>' : 'f32'}>;`;
  };
  const opFor = (i: number): Operand | undefined =>
    spec.a.kind === 'matrix' && spec.a.binding === i ? spec.a : spec.b.kind === 'matrix' && spec.b.binding === i ? spec.b : undefined;
  const bindings = Array.from({ length: spec.inputCount }, (_, i) => bindingDecl(i, opFor(i)));
  bindings.push(`@group(0) @binding(${outBinding}) var<storage, read_write> out: array<${vecOut ? 'vec4<f32>' : outType}>;`);
  const aVar = spec.a.kind === 'matrix' ? `in${spec.a.binding}` : '';
  const bVar = spec.b.kind === 'matrix' ? `in${spec.b.binding}` : '';

  const storeIndex = spec.storeIndex ?? `batch * ${u(M * N)} + m * ${u(N)} + n`;
  const storeFn = spec.storeBody
    ? spec.storeBody
    : `${spec.storeGuard ? `  if (!(${spec.storeGuard})) { return; }\n` : ''}  let flat = ${storeIndex};\n  out[flat] = ${spec.epilogue ? 'epilogue(flat, v)' : 'v'};`;
  const putFn = spec.storeBody ? `fn put(flat: u32, v: f32) {\n  out[flat] = ${spec.epilogue ? 'epilogue(flat, v)' : 'v'};\n}\n` : '';

  // Accumulators acc_i_j: row i of the thread's block, columns 4j..4j+3.
  const rn4 = t.regN / 4;
  const accDecl: string[] = [];
  const fma: string[] = [];
  for (let i = 0; i < t.regM; i++) for (let j = 0; j < rn4; j++) accDecl.push(`  var acc_${i}_${j} = vec4<f32>(0.0);`);
  // Inner loop over one k: the thread's regM rows of A (as vec4 chunks) and regN columns of B.
  if (t.regM % 4 !== 0) throw new InternalError('gemm: regM must be a multiple of 4');
  const rm4 = t.regM / 4;
  const sg = subgroupReadsA(spec, t) ? subgroupA(spec.a, M, K, tileM, aVar) : null;
  for (let c = 0; c < rm4; c++) fma.push(`      let a${c} = shA[kk * ${u(tileM / 4)} + ty * ${u(t.regM / 4)} + ${u(c)}];`);
  for (let j = 0; j < rn4; j++) fma.push(`      let b${j} = shB[kk * ${u(tileN / 4)} + tx * ${u(rn4)} + ${u(j)}];`);
  for (let i = 0; i < t.regM; i++) for (let j = 0; j < rn4; j++) fma.push(`      acc_${i}_${j} = fma(vec4<f32>(a${Math.floor(i / 4)}[${i % 4}]), b${j}, acc_${i}_${j});`);
  // With A broadcast, the k loop is unrolled: a broadcast's source lane must be a constant.
  const sgStep = (kk: number) => {
    const lines = [`    {`, `      let kk = ${u(kk)};`, ...fma.slice(rm4, rm4 + rn4)];
    for (let i = 0; i < t.regM; i++) {
      lines.push(`      let a${i} = ${sg!.value(i, kk)};`);
      for (let j = 0; j < rn4; j++) lines.push(`      acc_${i}_${j} = fma(vec4<f32>(a${i}), b${j}, acc_${i}_${j});`);
    }
    return [...lines, `    }`].join('\n');
  };
  // The k loop stays a loop (rolledCount): lavapipe would unroll its 16 steps, and rolled it both
  // compiles faster (8x16 block: 9.4 s -> 3.4 s; 8x8: 5.0 -> 0.8 s) and runs faster (512^3 on an
  // idle host: 12.3 -> 14.9 GFLOP/s for 8x16, 10.7 -> 12.2 for 8x8; bench/matmul-ab.ts).
  const innerLoop = sg
    ? Array.from({ length: t.tileK }, (_, kk) => sgStep(kk)).join('\n')
    : t.unrollK
      ? Array.from({ length: t.tileK }, (_, kk) => `    {\n      let kk = ${u(kk)};\n${fma.join('\n')}\n    }`).join('\n')
      : `    for (var kk = 0u; kk < ${rolledCount(t.tileK)}; kk++) {\n${fma.join('\n')}\n    }`;

  const stores: string[] = [];
  const needRow = M % tileM !== 0;
  const needCol = N % tileN !== 0;
  for (let i = 0; i < t.regM; i++) {
    for (let j = 0; j < rn4; j++) {
      const row = `rowBase + ty * ${u(t.regM)} + ${u(i)}`;
      const col = `colBase + tx * ${u(t.regN)} + ${u(4 * j)}`;
      if (vecOut) {
        const conds = [needRow ? `m < ${u(M)}` : '', needCol ? `n < ${u(N)}` : ''].filter(Boolean);
        const st = `out[(batch * ${u(M * N)} + m * ${u(N)} + n) / 4u] = acc_${i}_${j};`;
        stores.push(`  { let m = ${row}; let n = ${col}; ${conds.length ? `if (${conds.join(' && ')}) { ${st} }` : st} }`);
      } else {
        stores.push(`  res[${u(i * rn4 + j)}] = acc_${i}_${j};`);
      }
    }
  }
  if (!vecOut) {
    // Element stores (an epilogue's or a custom index's) from one rolled loop over the block: inlined
    // once per accumulator, an epilogue's index arithmetic and operand reads made an 8x8 block's
    // code several times larger (a conv with a fused batch norm, residual and ReLU compiled in 12-22 s).
    // The copy into `res` runs once per thread, after the k loop.
    const conds = [needRow ? `m < ${u(M)}` : '', needCol ? `n + l < ${u(N)}` : ''].filter(Boolean);
    const st = 'storeC(batch, m, n + l, v[l]);';
    stores.unshift(`  var res: array<vec4<f32>, ${t.regM * rn4}>;`);
    stores.push(
      `  for (var r = 0u; r < ${rolledCount(t.regM * rn4)}; r++) {`,
      `    let m = rowBase + ty * ${u(t.regM)} + r / ${u(rn4)};`,
      `    let n = colBase + tx * ${u(t.regN)} + (r % ${u(rn4)}) * 4u;`,
      '    let v = res[r];',
      `    for (var l = 0u; l < ${rolledCount(4)}; l++) { ${conds.length ? `if (${conds.join(' && ')}) { ${st} }` : st} }`,
      '  }',
    );
  }

  const kTiles = Math.ceil(K / t.tileK);
  // The bound depends on wid.z only, so it is uniform across the workgroup (the barriers need that).
  const kLoopBound = spec.depth ? `min((${spec.depth} + ${u(t.tileK - 1)}) / ${u(t.tileK)}, ${rolledCount(kTiles)})` : rolledCount(kTiles);
  // The subgroup path's thread coordinates (subgroupReadsA): a row of the tile per subgroup, claimed
  // from a workgroup counter by one lane, and a column per lane.
  const threadCoords = sg
    ? ['  var slot = 0u;', '  if (subgroupElect()) { slot = atomicAdd(&sgRows, 1u); }', '  let ty = subgroupBroadcastFirst(slot);', '  let tx = lane;', ...sg.coords]
    : ['  let tx = lid3.x;', '  let ty = lid3.y;'];
  const code = `${sg ? 'enable subgroups;\n' : ''}// gemm${spec.label ? ` (${spec.label})` : ''} ${batch}x[${M}x${K}]x[${K}x${N}] tile ${tileM}x${tileN}x${t.tileK}, ${t.regM}x${t.regN} per thread${sg ? ', A broadcast across subgroups' : ''}
${bindings.join('\n')}
${spec.prelude ?? ''}
${spec.epilogue?.code ?? ''}
${sg ? 'var<workgroup> sgRows: atomic<u32>;' : `var<workgroup> shA: array<vec4<f32>, ${(t.tileK * tileM) / 4}>;`}
var<workgroup> shB: array<vec4<f32>, ${(t.tileK * tileN) / 4}>;
${operandFunctions('A', spec.a, M, K, aVar)}
${operandFunctions('B', spec.b, N, K, bVar)}
${vecOut ? '' : `${putFn}fn storeC(batch: u32, m: u32, n: u32, v: f32) {\n${storeFn}\n}`}
@compute @workgroup_size(${t.threadsN}, ${t.threadsM}, 1)
fn main(@builtin(workgroup_id) wid: vec3u, ${sg ? '@builtin(subgroup_invocation_id) lane: u32' : '@builtin(local_invocation_id) lid3: vec3u'}, @builtin(local_invocation_index) lid: u32) {
  let batch = wid.z;
  let rowBase = wid.y * ${u(tileM)};
  let colBase = wid.x * ${u(tileN)};
${threadCoords.join('\n')}
${operandOffset('A', spec.a)}
${operandOffset('B', spec.b)}
${sg ? '' : hoistedRows('A', spec.a, tileM, t.tileK, threads)}
${hoistedRows('B', spec.b, tileN, t.tileK, threads)}
${accDecl.join('\n')}
  for (var kt = 0u; kt < ${kLoopBound}; kt++) {
    let kBase = kt * ${u(t.tileK)};
${sg ? sg.loads.join('\n') : tileLoad('A', spec.a, M, K, tileM, t.tileK, threads, aVar)}
${tileLoad('B', spec.b, N, K, tileN, t.tileK, threads, bVar)}
    workgroupBarrier();
${innerLoop}
    workgroupBarrier();
  }
${stores.join('\n')}
}
`;
  return { code, workgroups: [groupsN, groupsM, batch] };
}
