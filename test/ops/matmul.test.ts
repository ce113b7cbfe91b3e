import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, expectClose, gpuRun, randn } from '../helpers/op-harness.js';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { matmulKernel } from '../../codegen/wgsl/matmul.js';
import { GEMM_CANDIDATES, SMALL_GEMM_MACS, chooseTiling, fittedCandidates, tileDepth } from '../../codegen/wgsl/gemm.js';
import { runRawKernel } from '../helpers/raw-kernel.js';
import { sharedTestRuntime } from '../helpers/gpu.js';

/** `npm run test:slow` runs every case of the kernels that take seconds each to compile cold; `npm test` a subset. */
const slow = Boolean(process.env['MATC_SLOW']);

/** The textbook triple loop, independent of the op's CPU reference; batch broadcast by index arithmetic. */
function naiveMatmul(a: Float32Array, b: Float32Array, M: number, N: number, K: number, transA: boolean, transB: boolean): Float32Array {
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? a[k * M + i]! : a[i * K + k]!) * (transB ? b[j * K + k]! : b[k * N + j]!);
      c[i * N + j] = s;
    }
  }
  return c;
}

const shapeA = (M: number, K: number, t: boolean) => (t ? [K, M] : [M, K]);
const shapeB = (K: number, N: number, t: boolean) => (t ? [N, K] : [K, N]);
const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

async function gpuMatmul(M: number, N: number, K: number, transA: boolean, transB: boolean, seed: number) {
  const a = randn(shapeA(M, K, transA), seed);
  const b = randn(shapeB(K, N, transB), seed + 1);
  const g = new Graph(OPS);
  const c = g.input('a', shapeA(M, K, transA)).matmul(g.input('b', shapeB(K, N, transB)), { transA, transB });
  const [out] = await gpuRun(g, { a, b }, [c]);
  return { out: out!, want: naiveMatmul(a, b, M, N, K, transA, transB) };
}

describe('matmul GPU kernel vs a naive triple loop', () => {
  for (const [transA, transB] of TRANSPOSES) {
    it(`odd and tile-boundary sizes, transA=${transA} transB=${transB}`, async () => {
      const sizes: [number, number, number][] = [
        [1, 1, 1],
        [3, 5, 7],
        [17, 33, 9],
        [33, 17, 100],
        [64, 64, 64],
        [100, 3, 17],
        [4, 8, 12],
      ];
      for (const [M, N, K] of sizes) {
        const { out, want } = await gpuMatmul(M, N, K, transA, transB, M * 7 + N);
        expectClose(out, want, { rtol: 1e-4, atol: 1e-4 }, `matmul ${M}x${K}x${N} tA=${transA} tB=${transB}`);
      }
    });
  }

  it('a large multi-tile product (65x130x67)', async () => {
    const { out, want } = await gpuMatmul(65, 130, 67, false, false, 5);
    expectClose(out, want, { rtol: 1e-4, atol: 1e-4 });
  });
});

describe('matmul batching and broadcasting (GPU vs CPU reference)', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[2, 3, 5], [2, 5, 4], false, false],
    [[3, 5], [2, 5, 4], false, false], // 2-D against batched
    [[2, 3, 5], [5, 4], false, false], // batched against 2-D
    [[2, 1, 3, 5], [3, 4, 5], false, true], // [2,1] x [3] -> [2,3]
    [[1, 2, 5, 3], [3, 1, 5, 4], true, false],
  ];
  for (const [as, bs, transA, transB] of cases) {
    it(`[${as}] x [${bs}] transA=${transA} transB=${transB}`, async () => {
      const inputs = [
        { name: 'a', shape: as, data: randn(as, 11) },
        { name: 'b', shape: bs, data: randn(bs, 12) },
      ];
      await checkForward((_g, [a, b]) => a!.matmul(b!, { transA, transB }), inputs);
    });
  }

  it('infers broadcast shapes and rejects mismatched inner dims', () => {
    const g = new Graph(OPS);
    expect(g.input('a', [2, 1, 3, 5]).matmul(g.input('b', [4, 5, 7])).shape).toEqual([2, 4, 3, 7]);
    expect(g.input('c', [6, 3]).matmul(g.input('d', [6, 2]), { transA: true }).shape).toEqual([3, 2]);
    expect(() => g.input('e', [3, 4]).matmul(g.input('f', [5, 2]))).toThrow(/inner dimensions/);
    expect(() => g.input('h', [2, 3, 4]).matmul(g.input('i', [3, 4, 2]))).toThrow(/broadcast/);
  });
});

describe('matmul gradients', () => {
  for (const [transA, transB] of TRANSPOSES) {
    it(`finite differences and GPU vs CPU, transA=${transA} transB=${transB}`, async () => {
      const [M, N, K] = [3, 5, 4];
      const inputs = [
        { name: 'a', shape: shapeA(M, K, transA), data: randn(shapeA(M, K, transA), 21) },
        { name: 'b', shape: shapeB(K, N, transB), data: randn(shapeB(K, N, transB), 22) },
      ];
      await checkGradients((_g, [a, b]) => a!.matmul(b!, { transA, transB }), inputs);
    });
  }

  it('sums over broadcast batch dims (2-D weight against a batch)', async () => {
    const inputs = [
      { name: 'x', shape: [2, 3, 3, 4], data: randn([2, 3, 3, 4], 31) },
      { name: 'w', shape: [5, 4], data: randn([5, 4], 32) },
    ];
    await checkGradients((_g, [x, w]) => x!.matmul(w!, { transB: true }), inputs);
  });

  it('sums over size-1 batch dims', async () => {
    const inputs = [
      { name: 'a', shape: [2, 1, 2, 3], data: randn([2, 1, 2, 3], 41) },
      { name: 'b', shape: [1, 3, 3, 2], data: randn([1, 3, 3, 2], 42) },
    ];
    await checkGradients((_g, [a, b]) => a!.matmul(b!, { transA: false, transB: false }), inputs);
  });
});

describe('matmul with every GEMM tiling, pinned (ragged tails on every axis)', () => {
  // Sizes off every tile multiple (M, N, K odd, K below and above the K-tile), so every guarded
  // load and store runs; the output buffer has a sentinel-filled margin that must stay intact.
  // Two pipelines per tiling (each is a fresh lavapipe compile): a multi-tile ragged product with
  // vec4 loads where aligned, and a product smaller than one tile with both operands transposed.
  const cases: [number, number, number, boolean, boolean][] = [
    [70, 132, 37, false, false],
    [5, 3, 9, true, true],
  ];
  // With tiles fitted to 96- and 160-wide axes (6 and 10 threads across: not powers of two), on
  // one axis and on both.
  // And 8 threads of 20 rows where an axis is 16 wide and the other 160: 20-30 s to compile each
  // with an empty shader cache, so only `npm run test:slow` runs them.
  const oneSimdRow = slow ? [...fittedCandidates(160, 16, true), ...fittedCandidates(16, 160, true)].filter((c) => c.tiling.regM === 20 || c.tiling.regN === 20) : [];
  for (const { tiling, tileK } of [...GEMM_CANDIDATES, ...fittedCandidates(100, 96), ...fittedCandidates(160, 160).slice(2), ...oneSimdRow]) {
    const name = `${tiling.threadsM}x${tiling.threadsN} threads, ${tiling.regM}x${tiling.regN} per thread`;
    it(name, async () => {
      for (const [M, N, K, transA, transB] of cases) {
        {
          const a = randn(shapeA(M, K, transA), M + K);
          const b = randn(shapeB(K, N, transB), N + K);
          const kernel = matmulKernel({ aShape: shapeA(M, K, transA), bShape: shapeB(K, N, transB), outShape: [M, N], transA, transB }, { ...tiling, tileK: Math.min(tileK ?? Infinity, tileDepth(K)) });
          const { out, tail } = await runRawKernel(kernel, [a, b], M * N, 64, -12345);
          expectClose(out, naiveMatmul(a, b, M, N, K, transA, transB), { rtol: 1e-4, atol: 1e-4 }, `${name}: ${M}x${K}x${N} tA=${transA} tB=${transB}`);
          expect([...tail].every((v) => v === -12345)).toBe(true);
        }
      }
    });
  }

  it('the 16x16 block is chosen for large products, the matmul-only 8x16 for middling ones, tiles fitted to axes that a 128-wide tile would pad', () => {
    expect(chooseTiling(512, 512, 512, 1, true)).toMatchObject({ regM: 16, regN: 16, tileK: 8 });
    expect(chooseTiling(512, 512, 512, 1, false)).toMatchObject({ regM: 16, regN: 16, tileK: 8 });
    expect(chooseTiling(128, 100, 1568, 1, true)).toMatchObject({ regM: 8, regN: 16, tileK: 16 });
    // Axes that a 128-wide tile would pad get tiles fitted to them: ResNet's 576 x 64 weight
    // gradient in 2 splits 3 x 192 by 64 rather than 5 x 128 by 128 (unsplit, whose 3 workgroups
    // would leave a core idle part of the time, 5 x 128 by 64), WRN-34-10's 160 filters 240 x 160.
    expect(chooseTiling(576, 64, 8192, 1, false)).toMatchObject({ threadsM: 8, threadsN: 4, regM: 16, regN: 16 });
    expect(chooseTiling(576, 64, 4096, 2, false)).toMatchObject({ threadsM: 12, threadsN: 4, regM: 16, regN: 16, tileK: 8 });
    expect(chooseTiling(1440, 160, 8192, 1, false)).toMatchObject({ threadsM: 15, threadsN: 10, regM: 16, regN: 16, tileK: 8 });
    expect(chooseTiling(160, 144, 2048, 4, false)).toMatchObject({ threadsM: 10, threadsN: 9 });
    // 16 wide against 160: one SIMD row of 8 threads, not 10.
    expect(chooseTiling(160, 16, 2048, 4, true)).toMatchObject({ threadsM: 8, threadsN: 1, regM: 20, regN: 16 });
    expect(chooseTiling(16, 160, 2048, 4, true)).toMatchObject({ threadsM: 1, threadsN: 8, regM: 16, regN: 20 });
    expect(fittedCandidates(128, 512)).toEqual([]);
    expect(fittedCandidates(48, 40)).toEqual([]);
    expect(fittedCandidates(320, 128).map((c) => c.tiling.threadsM)).toEqual([10]);
    // Products under 2^20 multiply-adds take blocks of at most 8x8 (the 16x16 blocks compile for
    // seconds to run for microseconds): an MLP's [12 x 24] x [24 x 784] had a 16x208 tile.
    for (const [M, N, K] of [[12, 784, 24], [784, 24, 12], [64, 64, 64]]) {
      const t = chooseTiling(M!, N!, K!, 1, true);
      expect(t.regM * t.regN, `${M}x${N}x${K}`).toBeLessThanOrEqual(64);
    }
    expect(SMALL_GEMM_MACS).toBe(1 << 20);
    const atBound = chooseTiling(128, 128, 64, 1, true); // 2^20: not small
    expect(atBound.regM * atBound.regN).toBeGreaterThan(64);
  });
});

describe('matmul with A broadcast across 8-lane subgroups (gemm.ts subgroupReadsA)', async () => {
  // Where the device's subgroups have 8 lanes (lavapipe on AVX2), the 16x16 block reads A from
  // storage into registers and broadcasts it instead of staging it; elsewhere only the staged path
  // runs, and these tests check that it is the one generated.
  const rt = await sharedTestRuntime();
  const lanes8 = rt.ctx.target.subgroupSize === 8;
  const SG_TILING = { threadsM: 8, threadsN: 8, regM: 16, regN: 16, tileK: 8 };
  // [batch dims of A, M, K, N, transA]: M past a 128-row tile (and, at 144, a multiple of 16 that
  // is not one of 128), K past a multiple of 8 (but of 4, so A stays a vec4 matrix), N ragged, a
  // broadcast batch, and A transposed (contiguous along m: each lane holds one k of 16 rows).
  // The K- and M-ragged cases at the end read A element by element.
  const cases: [number[], number, number, number, boolean][] = [
    [[], 200, 36, 140, false],
    [[], 144, 20, 136, true],
    [[], 256, 64, 128, false],
    [[3], 136, 44, 72, false],
    [[2], 132, 28, 64, true],
    // Read element by element (K odd; M not a multiple of 4 with A transposed): lanes load their rows' scalars.
    [[], 200, 37, 140, false],
    [[], 130, 21, 72, true],
  ];
  // Each case compiles two 16x16-block kernels (12-16 s cold): `npm test` runs one of each way A is read.
  const run = slow ? cases : [cases[0]!, cases[4]!, cases[5]!];
  for (const [batchDims, M, K, N, transA] of run) {
    it.runIf(lanes8)(`${[...batchDims, M]}x${K}x${N} transA=${transA}: against the triple loop, and bit for bit the staged kernel's result`, async () => {
      const batch = batchDims.reduce((p, d) => p * d, 1);
      const aShape = [...batchDims, ...shapeA(M, K, transA)];
      const a = randn(aShape, M + K);
      const b = randn([K, N], N + K);
      const shapes = { aShape, bShape: [K, N], outShape: [...batchDims, M, N], transA, transB: false };
      const broadcast = matmulKernel(shapes, SG_TILING, undefined, { subgroupSize: 8 });
      const staged = matmulKernel(shapes, SG_TILING);
      expect(broadcast.code).toContain('subgroupBroadcast(');
      expect(staged.code).not.toContain('subgroup');
      const got = await runRawKernel(broadcast, [a, b], batch * M * N, 64, -12345);
      const ref = await runRawKernel(staged, [a, b], batch * M * N, 64, -12345);
      for (let i = 0; i < batch; i++) {
        const want = naiveMatmul(a.subarray(i * M * K, (i + 1) * M * K), b, M, N, K, transA, false);
        expectClose(got.out.subarray(i * M * N, (i + 1) * M * N), want, { rtol: 1e-4, atol: 1e-4 }, `batch ${i}`);
      }
      // The same products summed in the same k order: only where A's values come from differs.
      expect(Array.from(got.out)).toEqual(Array.from(ref.out));
      expect([...got.tail].every((v) => v === -12345)).toBe(true);
    });
  }

  it('is generated only for the 16x16 block over K-tiles of 8 and 8-lane subgroups', () => {
    const shapes = (K: number) => ({ aShape: [256, K], bShape: [K, 256], outShape: [256, 256], transA: false, transB: false });
    const code = (K: number, tiling: typeof SG_TILING, lanes?: number) => matmulKernel(shapes(K), tiling, undefined, lanes ? { subgroupSize: lanes } : {}).code;
    expect(code(64, SG_TILING, 8)).toContain('enable subgroups;');
    expect(code(64, SG_TILING, 32)).not.toContain('subgroup');
    expect(code(64, SG_TILING)).not.toContain('subgroup');
    expect(code(63, SG_TILING, 8)).toContain('loadA('); // A read element by element, then broadcast
    expect(code(64, { ...SG_TILING, tileK: 16 }, 8)).not.toContain('subgroup');
    expect(code(64, { threadsM: 8, threadsN: 8, regM: 8, regN: 8, tileK: 8 }, 8)).not.toContain('subgroup');
  });

  it('is what the runtime compiles for a large matmul exactly when the device has 8-lane subgroups', async () => {
    const g = new Graph(OPS);
    const c = g.input('a', [256, 256]).matmul(g.input('b', [256, 256]));
    const program = await rt.compile(g, { fetch: [c] });
    try {
      const code = program.steps.map((s) => s.code).join('\n');
      expect(code.includes('subgroupBroadcast(')).toBe(lanes8);
    } finally {
      program.destroy();
    }
  });
});

describe('matmul kernel code', () => {
  it('reads vec4s where the contiguous axis allows it and bakes the shape in', () => {
    const k = matmulKernel({ aShape: [256, 256], bShape: [256, 256], outShape: [256, 256], transA: false, transB: false });
    expect(k.code).toContain('var<storage, read> in0: array<vec4<f32>>');
    expect(k.code).toContain('var<storage, read> in1: array<vec4<f32>>');
    expect(k.code).not.toContain('loadA(');
    const odd = matmulKernel({ aShape: [17, 33], bShape: [33, 9], outShape: [17, 9], transA: false, transB: false });
    expect(odd.code).toContain('var<storage, read> in0: array<f32>');
    expect(odd.code).toContain('< 17u');
  });

  it('keeps every dispatch dimension within 65535 workgroups', () => {
    const k = matmulKernel({ aShape: [100, 3, 4], bShape: [4, 5], outShape: [100, 3, 5], transA: false, transB: false });
    expect(k.workgroups[2]).toBe(100);
    expect(k.workgroups.every((d) => d >= 1 && d <= 65535)).toBe(true);
  });
});
