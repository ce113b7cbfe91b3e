/**
 * Matmul variants A/B, interleaved in one process: the register-tiled GEMM (codegen/wgsl/gemm.ts)
 * in several tilings, each on a device with
 * Dawn's robustness transform (default) and one without (`disable_robustness`). Each round times
 * one batch of back-to-back dispatches of every variant in turn, so the shared machine's load
 * hits all of them alike; best-of and median over rounds, wall and process CPU time.
 * llvmpipe's vector width is per process: run this twice with LP_NATIVE_VECTOR_WIDTH=256/512.
 *
 *   node dist/bench/matmul-ab.js [--rounds 5] [--size 512] [--variants gemm,gemm8x8r8x8k16,...] [--robust both|on|off] [--spin]
 * `--spin` waits as dawn-node does by default (its poll keeps the main thread at 100%).
 */
import { acquireDevice, type GpuContext } from '../src/runtime/device.js';
import { gemmKernel, type GemmTiling } from '../codegen/wgsl/gemm.js';
import { median } from './interleave.js';
import { gpuWait } from '../src/runtime/gpu-wait.js';
import { loadLine } from './machine-load.js';
import { prepareDispatch, timeDispatches } from './dispatch-timer.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('--rounds', '5'));
const sizes = arg('--size', '512').split(',').map(Number);
const robustModes = arg('--robust', 'both');
/** Wait as dawn-node does by default (the main thread polls at 100%), not through gpuWait. */
const spin = process.argv.includes('--spin');
const minBatchMs = Number(arg('--batch-ms', '150'));

interface Kernel {
  code: string;
  workgroups: [number, number, number];
}

function gemm(n: number, tiling?: GemmTiling): Kernel {
  return gemmKernel({
    M: n, N: n, K: n, batch: 1, inputCount: 2,
    a: { kind: 'matrix', binding: 0, contiguous: 'k', offset: '0u' },
    b: { kind: 'matrix', binding: 1, contiguous: 'mn', offset: '0u' },
    ...(tiling ? { tiling } : {}),
  });
}

/** name -> kernel builder: `gemm` (chosen tiling) or `gemm<threadsM>x<threadsN>r<regM>x<regN>k<tileK>[u]`. */
function variant(name: string, n: number): Kernel {
  if (name === 'gemm') return gemm(n);
  const g = /^gemm(\d+)x(\d+)r(\d+)x(\d+)k(\d+)(u?)$/.exec(name);
  if (g) return gemm(n, { threadsM: +g[1]!, threadsN: +g[2]!, regM: +g[3]!, regN: +g[4]!, tileK: +g[5]!, unrollK: g[6] === 'u' });
  throw new Error(`unknown variant ${name}`);
}

interface Prepared {
  label: string;
  time(times: number): Promise<{ wall: number; cpu: number }>;
  destroy(): void;
}

function prepare(ctx: GpuContext, label: string, k: Kernel, n: number): Prepared {
  const device = ctx.device;
  const buffers = [0, 1, 2].map(() => device.createBuffer({ size: n * n * 4, usage: GPUBufferUsage.STORAGE }));
  const dispatch = prepareDispatch(device, k, buffers, label);
  return {
    label,
    // --spin waits as dawn-node does; the device's error check stays inside the timed span.
    time: (times) => timeDispatches(device, dispatch, times, async (done) => {
      await (spin ? done : gpuWait(done));
      ctx.check();
    }),
    destroy: () => buffers.forEach((b) => b.destroy()),
  };
}

const names = arg('--variants', 'gemm,gemm8x8r8x8k16').split(',');
const contexts: { tag: string; ctx: GpuContext }[] = [];
if (robustModes !== 'off') contexts.push({ tag: 'robust', ctx: await acquireDevice() });
if (robustModes !== 'on') contexts.push({ tag: 'no-robust', ctx: await acquireDevice({ dawnOptions: ['enable-dawn-features=disable_robustness'] }) });
console.log(`${loadLine()}; LP_NATIVE_VECTOR_WIDTH=${process.env['LP_NATIVE_VECTOR_WIDTH'] ?? '(default)'}; adapter ${contexts[0]!.ctx.adapter.description}`);
try {
  for (const n of sizes) {
    const flops = 2 * n * n * n;
    const prepared: Prepared[] = [];
    for (const name of names) for (const { tag, ctx } of contexts) prepared.push(prepare(ctx, `${name} ${tag}`, variant(name, n), n));
    const reps: number[] = [];
    for (const p of prepared) {
      await p.time(1); // JIT
      const one = (await p.time(1)).wall;
      reps.push(Math.max(1, Math.min(64, Math.round(minBatchMs / Math.max(one, 0.1)))));
    }
    const wall = prepared.map(() => [] as number[]);
    const cpu = prepared.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < prepared.length; i++) {
        const t = await prepared[i]!.time(reps[i]!);
        wall[i]!.push(t.wall);
        cpu[i]!.push(t.cpu);
      }
    }
    console.log(`\nmatmul ${n}x${n}x${n} (${rounds} rounds; GFLOP/s from the best and the median round's wall time; CPU ms per dispatch)`);
    prepared.forEach((p, i) => {
      const best = Math.min(...wall[i]!);
      const med = median(wall[i]!);
      console.log(`  ${p.label.padEnd(28)} best ${(flops / best / 1e6).toFixed(2).padStart(6)} GFLOP/s (${best.toFixed(2)} ms), median ${(flops / med / 1e6).toFixed(2).padStart(6)}, cpu ${median(cpu[i]!).toFixed(2)} ms (${(flops / Math.min(...cpu[i]!) / 1e6).toFixed(2)} GFLOP per CPU-second, best)`);
    });
    prepared.forEach((p) => p.destroy());
  }
} finally {
  for (const { ctx } of contexts) ctx.destroy();
}
