/**
 * Does a subgroup broadcast beat workgroup memory for the GEMM's A operand? (issue 17, item 3:
 * "subgroup operations".) A measurement, not a kernel matc uses: the same 16x16-per-thread,
 * 128x128x8 matmul as codegen/wgsl/gemm.ts's best tiling, once as generated (A and B staged in
 * workgroup memory) and once with A read straight from storage, each lane loading 2 of its
 * subgroup's 16 rows per K-tile and handing them to the others with `subgroupBroadcast` (B stays
 * staged: each lane needs its own 16 columns). Lanes of one subgroup must be the 8 threads of one
 * tile row, so it runs only where the adapter's subgroups have exactly 8 lanes (lavapipe on AVX2).
 * Both are checked against a CPU product on sampled entries, then timed alternating, round by round.
 *
 *   node dist/bench/subgroup-ab.js [--size 512] [--rounds 7]
 */
import { create, globals } from 'webgpu';
import { matmulKernel } from '../codegen/wgsl/matmul.js';
import type { GemmKernel } from '../codegen/wgsl/gemm.js';
import { gpuWait } from '../src/runtime/gpu-wait.js';
import { median } from './interleave.js';
import { prepareDispatch, timeDispatches } from './dispatch-timer.js';
import { loadLine } from './machine-load.js';

Object.assign(globalThis, globals);

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

/** C = A . B (row-major, S x S, S a multiple of 128) with A's rows broadcast across each subgroup of 8 lanes. */
function subgroupKernel(S: number): GemmKernel {
  const L: string[] = [
    'enable subgroups;',
    '@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;',
    '@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;',
    '@group(0) @binding(2) var<storage, read_write> C: array<vec4<f32>>;',
    'var<workgroup> shB: array<vec4<f32>, 256>;',
    '@compute @workgroup_size(8, 8)',
    'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u, @builtin(local_invocation_index) lid: u32) {',
    '  let rowBase = wid.y * 128u;',
    '  let colBase = wid.x * 128u;',
    '  let tx = lid3.x;',
    '  let ty = lid3.y;',
  ];
  for (let i = 0; i < 16; i++) for (let j = 0; j < 4; j++) L.push(`  var acc_${i}_${j} = vec4<f32>(0.0);`);
  // Lane tx of tile row ty holds rows ty*16 + 2*tx and +1 of A for the K-tile.
  L.push('  let r0 = rowBase + ty * 16u + 2u * tx;', `  for (var kt = 0u; kt < ${S / 8}u; kt++) {`, '    let kBase = kt * 8u;');
  for (let it = 0; it < 4; it++) L.push(`    { let g = lid + ${it * 64}u; let kl = g / 32u; let nl = g % 32u; shB[kl * 32u + nl] = B[((kBase + kl) * ${S}u + colBase) / 4u + nl]; }`);
  L.push(`    let a0l = A[(r0 * ${S}u + kBase) / 4u];`, `    let a0h = A[(r0 * ${S}u + kBase) / 4u + 1u];`);
  L.push(`    let a1l = A[((r0 + 1u) * ${S}u + kBase) / 4u];`, `    let a1h = A[((r0 + 1u) * ${S}u + kBase) / 4u + 1u];`);
  L.push('    workgroupBarrier();');
  for (let kk = 0; kk < 8; kk++) {
    L.push('    {');
    for (let j = 0; j < 4; j++) L.push(`      let b${j} = shB[${kk * 32}u + tx * 4u + ${j}u];`);
    for (let i = 0; i < 16; i++) {
      L.push(`      let a${i} = subgroupBroadcast(a${i % 2}${kk < 4 ? 'l' : 'h'}[${kk % 4}], ${Math.floor(i / 2)}u);`);
      for (let j = 0; j < 4; j++) L.push(`      acc_${i}_${j} = fma(vec4<f32>(a${i}), b${j}, acc_${i}_${j});`);
    }
    L.push('    }');
  }
  L.push('    workgroupBarrier();', '  }');
  for (let i = 0; i < 16; i++) for (let j = 0; j < 4; j++) L.push(`  C[((rowBase + ty * 16u + ${i}u) * ${S}u + colBase + tx * 16u + ${4 * j}u) / 4u] = acc_${i}_${j};`);
  L.push('}');
  return { code: L.join('\n'), workgroups: [S / 128, S / 128, 1] };
}

async function subgroupLanes(device: GPUDevice): Promise<number> {
  const code = 'enable subgroups;\n@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n@compute @workgroup_size(64) fn main(@builtin(local_invocation_index) l: u32, @builtin(subgroup_size) s: u32) { o[l] = s; }';
  const buf = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }));
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(buf, 0, read, 0, 256);
  device.queue.submit([enc.finish()]);
  await gpuWait(read.mapAsync(GPUMapMode.READ));
  const sizes = new Set(new Uint32Array(read.getMappedRange()));
  return sizes.size === 1 ? [...sizes][0]! : -1;
}

const S = arg('--size', 512);
const rounds = arg('--rounds', 7);
if (S % 128 !== 0) throw new Error('--size must be a multiple of 128');
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter?.features.has('subgroups')) throw new Error('this adapter has no subgroups feature');
const device = await adapter.requestDevice({ requiredFeatures: ['subgroups'] });
try {
  const lanes = await subgroupLanes(device);
  console.log(`${loadLine()}; subgroup size ${lanes}`);
  if (lanes !== 8) throw new Error(`the broadcast kernel assumes 8-lane subgroups, this adapter has ${lanes}`);
  const a = Float32Array.from({ length: S * S }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: S * S }, (_, i) => Math.cos(i * 0.11));
  const upload = (data: Float32Array) => {
    const buf = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const bufA = upload(a);
  const bufB = upload(b);
  const variants: [string, GemmKernel][] = [
    ['A and B staged (gemm.ts)', matmulKernel({ aShape: [S, S], bShape: [S, S], outShape: [S, S], transA: false, transB: false })],
    ['A by subgroupBroadcast', subgroupKernel(S)],
  ];
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
      for (let k = 0; k < S; k++) sum += a[i * S + k]! * b[k * S + j]!;
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
  device.destroy();
}
