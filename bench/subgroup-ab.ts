/**
 * Does a subgroup broadcast beat workgroup memory for the GEMM's A operand? (issue 17, item 3:
 * "subgroup operations".) The 16x16-per-thread, 128x128x8 matmul as codegen/wgsl/gemm.ts
 * generates it, once portable (A and B staged in workgroup memory) and once as the runtime
 * compiles it on a device with 8-lane subgroups (lavapipe on AVX2; gemm.ts subgroupReadsA): A
 * read straight from storage, each lane loading 2 of its subgroup's 16 rows per K-tile and handing
 * them to the others with `subgroupBroadcast` (B stays staged: each lane needs its own 16
 * columns). Both are checked against a CPU product on sampled entries, then timed alternating,
 * round by round. `--transA` times A transposed (each lane then holds one k of the 16 rows).
 *
 *   node dist/bench/subgroup-ab.js [--size 512] [--rounds 7] [--transA]
 */
import { matmulKernel } from '../codegen/wgsl/matmul.js';
import type { GemmKernel } from '../codegen/wgsl/gemm.js';
import { gpuWait } from '../src/runtime/gpu-wait.js';
import { acquireDevice } from '../src/runtime/device.js';
import { median } from './interleave.js';
import { prepareDispatch, timeDispatches } from './dispatch-timer.js';
import { loadLine } from './machine-load.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

const S = arg('--size', 512);
const rounds = arg('--rounds', 7);
if (S % 128 !== 0) throw new Error('--size must be a multiple of 128');
const transA = process.argv.includes('--transA');
// Through the runtime's acquisition: it enables `subgroups` where the size is fixed, and keeps
// Dawn's instance referenced (collected with work pending, it crashed this bench on cold compiles).
const ctx = await acquireDevice();
if (ctx.target.subgroupSize !== 8) {
  ctx.destroy();
  throw new Error(`the broadcast kernel needs 8-lane subgroups; this device has ${ctx.target.subgroupSize ?? 'none of a fixed size'}`);
}
const device = ctx.device;
console.log(`${loadLine()}; subgroup size ${ctx.target.subgroupSize}`);
try {
  const a = Float32Array.from({ length: S * S }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: S * S }, (_, i) => Math.cos(i * 0.11));
  const upload = (data: Float32Array) => {
    const buf = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const bufA = upload(a);
  const bufB = upload(b);
  const shapes = { aShape: [S, S], bShape: [S, S], outShape: [S, S], transA, transB: false };
  const tiling = { threadsM: 8, threadsN: 8, regM: 16, regN: 16, tileK: 8 };
  const variants: [string, GemmKernel][] = [
    ['A and B staged', matmulKernel(shapes, tiling)],
    ['A by subgroupBroadcast', matmulKernel(shapes, tiling, undefined, { subgroupSize: 8 })],
  ];
  if (!variants[1]![1].code.includes('subgroupBroadcast(')) throw new Error('gemm.ts did not generate the broadcast path');
  const runners = [];
  for (const [name, kernel] of variants) {
    const out = device.createBuffer({ size: S * S * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const t0 = performance.now();
    const dispatch = prepareDispatch(device, kernel, [bufA, bufB, out], name);
    const go = async (times: number) => (await timeDispatches(device, dispatch, times)).wall;
    await go(1);
    const compileS = (performance.now() - t0) / 1000;
    const read = device.createBuffer({ size: S * S * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(out, 0, read, 0, S * S * 4);
    device.queue.submit([enc.finish()]);
    await gpuWait(read.mapAsync(GPUMapMode.READ));
    const c = new Float32Array(read.getMappedRange().slice(0));
    let err = 0;
    for (let t = 0; t < 64; t++) {
      const i = (t * 7919) % S;
      const j = (t * 104729) % S;
      let sum = 0;
      for (let k = 0; k < S; k++) sum += a[transA ? k * S + i : i * S + k]! * b[k * S + j]!;
      err = Math.max(err, Math.abs(sum - c[i * S + j]!) / Math.max(1, Math.abs(sum)));
    }
    console.log(`${name}: compiled in ${compileS.toFixed(1)} s; largest relative error on 64 sampled entries ${err.toExponential(1)}`);
    if (err > 1e-4) throw new Error(`${name}: wrong product`);
    runners.push(go);
  }
  const times = runners.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) for (const [i, go] of runners.entries()) times[i]!.push(await go(4));
  const flops = 2 * S * S * S;
  variants.forEach(([name], i) => {
    const ms = median(times[i]!);
    console.log(`${name}: median ${ms.toFixed(1)} ms (${(flops / ms / 1e6).toFixed(2)} GFLOP/s), best ${(flops / Math.min(...times[i]!) / 1e6).toFixed(2)}`);
  });
  const ratios = times[0]!.map((t, r) => t / times[1]![r]!);
  console.log(`staged / broadcast time per round: ${ratios.map((x) => x.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(2)})`);
} finally {
  ctx.destroy();
}
