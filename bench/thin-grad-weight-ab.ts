/**
 * The thin-layer weight gradient (codegen/wgsl/conv-grad-weight-thin.ts) with 4 and 8 filters a
 * thread and several split counts, on the same device, alternating per round (bench/interleave.ts:
 * a shared host's load hits every variant alike): the A/B behind thinGradWeightFilters and
 * THIN_WORKGROUPS.
 *
 *   node dist/bench/thin-grad-weight-ab.js [--rounds 15]
 *   THIN_AB_VARIANTS=4:16,8:8,8:16 (filters per thread : workgroups the splits aim for)
 */
import { acquireDevice } from '../src/runtime/device.js';
import { conv2dGradWeightThinKernel } from '../codegen/wgsl/conv-grad-weight-thin.js';
import type { ConvGeometry } from '../codegen/wgsl/conv.js';
import { prepareDispatch, timeDispatches } from './dispatch-timer.js';
import { interleave, median, roundRatios } from './interleave.js';
import { loadLine } from './machine-load.js';

/** Dispatches per round of a variant (one submission). */
const PER_ROUND = 20;

const layer = (N: number, C: number, H: number, O: number): ConvGeometry => ({ N, C, H, W: H, O, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, OH: H, OW: H });
const LAYERS: [string, ConvGeometry][] = [
  ["WRN-34-10's 3->16 at batch 8", layer(8, 3, 32, 16)],
  ["ResNet-18's 3->64 at batch 8", layer(8, 3, 32, 64)],
  ["the reference CNN's 1->16 at batch 128", layer(128, 1, 28, 16)],
];
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(process.argv[roundsArg + 1]) : 15;
const variants = (process.env['THIN_AB_VARIANTS'] ?? '4:16,8:8,8:16').split(',').map((v) => v.split(':').map(Number) as [number, number]);

const ctx = await acquireDevice();
const { device } = ctx;
try {
  console.log(loadLine());
  for (const [name, g] of LAYERS) {
    const flops = 2 * g.N * g.O * g.OH * g.OW * g.C * g.kh * g.kw;
    const prepared = variants.map(([filters, workgroups]) => {
      const splits = Math.max(1, Math.min(g.N, Math.ceil(workgroups / Math.ceil(g.O / filters))));
      const sizes = [g.N * g.C * g.H * g.W, g.N * g.O * g.OH * g.OW, splits * g.O * g.C * g.kh * g.kw];
      const buffers = sizes.map((n) => device.createBuffer({ size: Math.ceil((n * 4) / 16) * 16, usage: GPUBufferUsage.STORAGE }));
      const dispatch = prepareDispatch(device, conv2dGradWeightThinKernel(g, splits, undefined, filters), buffers);
      return { name: `${filters} filters, ${splits} split(s)`, buffers, step: async () => void (await timeDispatches(device, dispatch, PER_ROUND)) };
    });
    for (const p of prepared) await p.step(); // compile on first use
    const results = await interleave(prepared, rounds);
    console.log(`\n${name} (weight gradient, split kernel only)`);
    for (const r of results) {
      const ms = (median(r.rounds) * 1000) / PER_ROUND;
      console.log(`  ${r.name.padEnd(22)} ${ms.toFixed(3)} ms (${(flops / ms / 1e6).toFixed(1)} GFLOP/s); first/this per round median ${median(roundRatios(results[0]!, r)).toFixed(2)}`);
    }
    prepared.forEach((p) => p.buffers.forEach((b) => b.destroy()));
  }
} finally {
  ctx.destroy();
}
