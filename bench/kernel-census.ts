/**
 * What a cold run pays to compile its kernels, charged to whoever asked for them.
 *
 *   MATC_KERNEL_LOG=/tmp/census npx vitest run          (or any matc command)
 *   MESA_SHADER_CACHE_DIR=$(mktemp -d) node dist/bench/kernel-census.js /tmp/census [--top 30]
 *
 * The first command records every distinct kernel it builds (src/runtime/kernel-log.ts). This
 * one compiles each recorded source once, with the empty shader cache the caller gives it, by
 * dispatching one workgroup on small buffers (lavapipe compiles at first dispatch, so creating
 * the pipeline alone would time nothing); a second dispatch's time is subtracted. It prints the
 * total, the costliest kernels, and per tag (test file) the cost of the kernels only that tag
 * uses: what dropping or reshaping that file would save on a cold machine.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireDevice } from '../src/runtime/device.js';
import { gpuWait } from '../src/runtime/gpu-wait.js';
import { timeDispatches } from './dispatch-timer.js';
import { formatTable } from './table.js';

interface LogLine {
  tag: string;
  label: string;
  hash: string;
}

/** Wall milliseconds of one single-workgroup dispatch of `pipeline` (the first includes its compile). */
async function timeDispatch(device: GPUDevice, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup): Promise<number> {
  return (await timeDispatches(device, { pipeline, bindGroup, workgroups: [1, 1, 1] }, 1)).wall;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  if (!dir) throw new Error('usage: kernel-census.js DIR [--top N]');
  const topIdx = args.indexOf('--top');
  const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 25;
  if (!process.env['MESA_SHADER_CACHE_DIR']) console.warn('MESA_SHADER_CACHE_DIR is not set: kernels the cache already holds will time as free');

  const lines = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogLine);
  const hashes = readdirSync(join(dir, 'wgsl')).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));
  const ctx = await acquireDevice();
  const { device } = ctx;
  const compileMs = new Map<string, number>();
  const labels = new Map<string, string>();
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  let done = 0;
  for (const hash of hashes) {
    const text = readFileSync(join(dir, 'wgsl', `${hash}.wgsl`), 'utf8');
    const inputs = Number(/^\/\/ inputs: (\d+)/.exec(text)?.[1] ?? 0);
    labels.set(hash, /^\/\/ label: (.*)$/m.exec(text)?.[1] ?? '');
    const t0 = performance.now();
    const module = device.createShaderModule({ code: text });
    const pipeline = await gpuWait(device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } }));
    while (buffers.length < inputs + 1) buffers.push(device.createBuffer({ size: 1 << 16, usage }));
    const entries = buffers.slice(0, inputs + 1).map((buffer, binding) => ({ binding, resource: { buffer } }));
    const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const first = await timeDispatch(device, pipeline, group);
    const second = await timeDispatch(device, pipeline, group);
    ctx.check();
    compileMs.set(hash, performance.now() - t0 - first + Math.max(0, first - second));
    if (++done % 50 === 0) console.error(`${done}/${hashes.length} compiled`);
  }
  ctx.destroy();

  const tagsOf = new Map<string, Set<string>>();
  for (const l of lines) {
    if (!tagsOf.has(l.hash)) tagsOf.set(l.hash, new Set());
    tagsOf.get(l.hash)!.add(l.tag || '(untagged)');
  }
  const total = [...compileMs.values()].reduce((a, b) => a + b, 0);
  console.log(`${hashes.length} distinct kernels, ${(total / 1000).toFixed(1)} s to compile them all on one core\n`);

  const perTag = new Map<string, { kernels: number; all: number; own: number; ownKernels: number }>();
  for (const [hash, tags] of tagsOf) {
    const ms = compileMs.get(hash) ?? 0;
    for (const tag of tags) {
      const row = perTag.get(tag) ?? { kernels: 0, all: 0, own: 0, ownKernels: 0 };
      row.kernels++;
      row.all += ms;
      if (tags.size === 1) {
        row.own += ms;
        row.ownKernels++;
      }
      perTag.set(tag, row);
    }
  }
  const tagRows = [...perTag.entries()].sort((a, b) => b[1].own - a[1].own);
  console.log(formatTable(['tag', 'kernels', 'compile s (all)', 'only here', 'compile s (only here)'], tagRows.map(([tag, r]) => [tag, String(r.kernels), (r.all / 1000).toFixed(1), String(r.ownKernels), (r.own / 1000).toFixed(1)])));
  const kernelRows = [...compileMs.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`\nCostliest ${kernelRows.length} kernels:`);
  console.log(formatTable(['ms', 'label', 'hash', 'used by'], kernelRows.map(([h, ms]) => [ms.toFixed(0), labels.get(h) ?? '', h, [...(tagsOf.get(h) ?? [])].join(' ')])));
  writeFileSync(join(dir, 'census.json'), JSON.stringify({ totalMs: total, kernels: Object.fromEntries([...compileMs].map(([h, ms]) => [h, { ms, label: labels.get(h), tags: [...(tagsOf.get(h) ?? [])] }])) }, null, 1));
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
