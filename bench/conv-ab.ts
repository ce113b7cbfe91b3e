/**
 * Old against new convolution kernels on the same device, alternating: each round times one
 * batch of back-to-back dispatches of every variant in turn, so a change of machine load
 * (a shared 2-core host, where the GPU is the CPU) hits all variants alike and the per-round
 * ratios stay meaningful when the absolute times do not.
 *
 * Besides wall time it reports the process's CPU time per dispatch (lavapipe's workers are
 * threads of this process): under a higher-priority job the wall time of one dispatch varies
 * several-fold from round to round, the CPU time it took much less.
 *
 *   node dist/bench/conv-ab.js [--rounds 7]
 *   CONV_AB_LAYERS='128,16,14,32;128,1,28,16' (N,C,H,O; 3x3 pad 1)  CONV_AB_TILINGS=2x7x16,1x7x8 (rows x pixels x channels)
 *   CONV_AB_STRIDE=2: the layers at stride 2 (H is the input's size); the old kernels are then the
 *   implicit GEMM (forward) and the GEMM by phases (input gradient).
 *   The direct kernels are generated for this device (subgroup broadcasts where it has 8-lane subgroups).
 */
import { Runtime } from '../src/runtime/runtime.js';
import { conv2dForwardKernel, conv2dGradInputKernel, conv2dGradInputStridedKernel, type ConvGeometry } from '../codegen/wgsl/conv.js';
import { conv2dForwardDirectKernel, conv2dGradInputDirectKernel, type DirectTiling } from '../codegen/wgsl/conv-direct.js';
import type { GemmKernel } from '../codegen/wgsl/gemm.js';
import { median } from './interleave.js';
import { loadLine } from './machine-load.js';
import { prepareDispatch, timeDispatches } from './dispatch-timer.js';

interface Variant {
  name: string;
  kernel: GemmKernel;
  /** Element counts of the bindings, inputs then output. */
  sizes: number[];
}

/** Wall and process CPU milliseconds per dispatch (lavapipe's workers are threads of this process). */
type Timer = (times: number) => Promise<{ wall: number; cpu: number }>;

function prepare(device: GPUDevice, v: Variant): { timer: Timer; destroy(): void } {
  const buffers = v.sizes.map((n) => device.createBuffer({ size: Math.max(16, Math.ceil((n * 4) / 16) * 16), usage: GPUBufferUsage.STORAGE }));
  const dispatch = prepareDispatch(device, v.kernel, buffers, v.name);
  const timer: Timer = (times) => timeDispatches(device, dispatch, times);
  return { timer, destroy: () => buffers.forEach((b) => b.destroy()) };
}

async function compare(device: GPUDevice, title: string, flops: number, variants: Variant[], rounds: number): Promise<void> {
  const prepared = variants.map((v) => prepare(device, v));
  for (const p of prepared) await p.timer(1); // JIT on first use
  const wall = variants.map(() => [] as number[]);
  const cpu = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const t = await prepared[i]!.timer(1);
      wall[i]!.push(t.wall);
      cpu[i]!.push(t.cpu);
    }
  }
  console.log(`\n${title}`);
  variants.forEach((v, i) => {
    const ms = median(wall[i]!);
    const ratios = wall[0]!.map((b, r) => b / wall[i]![r]!);
    const cpuRatios = cpu[0]!.map((b, r) => b / cpu[i]![r]!);
    console.log(`  ${v.name.padEnd(24)} wall median ${ms.toFixed(1).padStart(7)} ms (${(flops / ms / 1e6).toFixed(2)} GFLOP/s), cpu median ${median(cpu[i]!).toFixed(1)} ms; old/this wall per round ${ratios.map((x) => x.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(2)}), cpu median ${median(cpuRatios).toFixed(2)}`);
  });
  prepared.forEach((p) => p.destroy());
}

const stride = Number(process.env['CONV_AB_STRIDE'] ?? 1);
const geometry = (N: number, C: number, H: number, O: number): ConvGeometry => {
  const OH = Math.floor((H - 1) / stride) + 1;
  return { N, C, H, W: H, O, kh: 3, kw: 3, sh: stride, sw: stride, ph: 1, pw: 1, OH, OW: OH };
};

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('--rounds', 7);
const tilings: DirectTiling[] = (process.env['CONV_AB_TILINGS'] ?? '2x7x16').split(',').map((s) => {
  const [r, p, c] = s.split('x').map(Number);
  return { rows: r!, pixels: p!, channels: c! };
});

const rt = await Runtime.create();
try {
  console.log(loadLine());
  const layers = (process.env['CONV_AB_LAYERS'] ?? '128,16,14,32').split(';').map((s) => s.split(',').map(Number) as [number, number, number, number]);
  for (const [N, C, H, O] of layers) {
    const g = geometry(N, C, H, O);
    const x = N * C * H * H;
    const y = N * O * g.OH * g.OW;
    const w = O * C * 9;
    const flops = 2 * N * O * g.OH * g.OW * C * 9;
    const tag = `conv ${C}->${O} 3x3${stride > 1 ? ` stride ${stride}` : ''} on ${H}x${H}, batch ${N}`;
    const target = rt.ctx.target;
    await compare(rt.device, `${tag}: forward`, flops, [
      { name: 'implicit GEMM (old)', kernel: conv2dForwardKernel(g, undefined, undefined, undefined, target), sizes: [x, w, y] },
      ...tilings.map((t) => ({ name: `direct ${t.rows}x${t.pixels}px x ${t.channels}ch`, kernel: conv2dForwardDirectKernel(g, undefined, t, target), sizes: [x, w, y] })),
    ], rounds);
    await compare(rt.device, `${tag}: grad input`, flops, [
      stride > 1
        ? { name: 'GEMM by phases (old)', kernel: conv2dGradInputStridedKernel(g, undefined, undefined, undefined, target), sizes: [y, w, x] }
        : { name: 'implicit GEMM (old)', kernel: conv2dGradInputKernel(g, undefined, undefined, target), sizes: [y, w, x] },
      ...tilings.map((t) => ({
        name: `direct ${t.rows}x${t.pixels}px x ${t.channels}ch`,
        kernel: conv2dGradInputDirectKernel(g, undefined, t, target),
        sizes: [y, w, x],
      })),
    ], rounds);
  }
} finally {
  rt.destroy();
}
