// Summary of scripts/gpu-check.sh: reads OUTDIR/{parts.tsv, doctor.log, vitest.json, bench.json, loops.log,
// resnet18.json, conv-shapes.json}, prints the figures and writes OUTDIR/gpu-check.json. Plain JavaScript so that it
// runs even when the TypeScript build failed. Missing parts are null, never an error.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, hostname } from 'node:os';

const out = process.argv[2];
const read = (name) => (existsSync(join(out, name)) ? readFileSync(join(out, name), 'utf8') : null);
const json = (name) => {
  const text = read(name);
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
};

const parts = {};
for (const line of (read('parts.tsv') ?? '').trim().split('\n').slice(1)) {
  const [name, rc, seconds, limit] = line.split('\t');
  if (!name) continue;
  const code = Number(rc);
  parts[name] = { exitCode: code, seconds: Number(seconds), limit: Number(limit), status: code === 0 ? 'ok' : code === -1 ? 'skipped' : code === 124 || code === 137 ? 'timed out' : 'failed' };
}

// Dawn's limit warnings are noise here; the rest is matc doctor's report.
const doctor = read('doctor.log')?.split('\n').filter((l) => !/^Warning: .* artificially reduced/.test(l)).join('\n') ?? null;
const gpu = doctor?.match(/^adapter:\s*(.*)$/m)?.[1]?.trim() ?? null;

const v = json('vitest.json');
const tests = v
  ? {
      passed: v.numPassedTests,
      failed: v.numFailedTests,
      skipped: (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0),
      total: v.numTotalTests,
      failures: (v.testResults ?? []).flatMap((f) => (f.assertionResults ?? []).filter((a) => a.status === 'failed').map((a) => `${f.name.split('/').slice(-2).join('/')}: ${a.fullName}`)),
    }
  : null;

const step = (doc, name) => {
  const s = doc?.steps?.find((x) => x.name === name);
  return s ? { title: s.title, batch: s.batch, imagesPerSecond: s.imagesPerSecond, msPerStep: s.msPerStep, timedSteps: s.timedSteps, compileSeconds: s.compileSeconds } : null;
};
const bench = json('bench.json');
const resnet = json('resnet18.json');
const shapes = json('conv-shapes.json')?.convShapes ?? null;
const convShapes = shapes
  ? {
      matmulGflops: shapes.matmulGflops,
      shapes: shapes.rows.length,
      belowHalf: shapes.rows.filter((r) => r.ofMatmul < 0.5).map((r) => `${r.net} ${r.layer} ${r.pass}: ${r.gflops.toFixed(1)} GFLOP/s (${Math.round(100 * r.ofMatmul)}%)`),
      rows: shapes.rows,
    }
  : null;
// bench/matmul-ab.ts lines: "  gemm8x4r8x16k16u robust   best  11.65 GFLOP/s (23.04 ms), median ..."
const loops = [...(read('loops.log') ?? '').matchAll(/^\s*(gemm\S+)\s+\S+\s+best\s+([\d.]+) GFLOP\/s.*median\s+([\d.]+)/gm)].map((m) => ({ variant: m[1], unrolledK: m[1].endsWith('u'), bestGflops: Number(m[2]), medianGflops: Number(m[3]) }));
const gflops = [...(bench?.kernels ?? '').matchAll(/^\|?\s*(matmul [^|]*?)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|?$/gm)].map((m) => ({ kernel: m[1], ms: Number(m[2]), gflops: Number(m[3]) }));

const summary = {
  date: new Date().toISOString(),
  host: hostname(),
  gpu,
  adapter: bench?.adapter ?? resnet?.adapter ?? null,
  loadAverage: loadavg()[0],
  doctor,
  tests,
  figures: {
    preactResnet18PgdStep: step(bench, 'preact_resnet18'),
    resnet18PgdAtStep: step(resnet, 'resnet18'),
    referenceCnnPgdAt: step(bench, 'pgd_at'),
    referenceCnnTrades: step(bench, 'trades'),
    matmulGflops: gflops,
    gemmKLoopUnrolledVsRolled: loops,
    convShapes,
  },
  parts,
};
writeFileSync(join(out, 'gpu-check.json'), `${JSON.stringify(summary, null, 2)}\n`);

const f = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : 'n/a');
const s = summary.figures;
console.log(`gpu-check ${summary.date}`);
console.log(`GPU: ${gpu ?? '(doctor gave none)'}`);
console.log(doctor ? doctor.trim().split('\n').map((l) => `  ${l}`).join('\n') : '  (no doctor output)');
console.log(`kernel checks vs CPU reference: ${tests ? `${tests.passed} passed, ${tests.failed} failed of ${tests.total}` : 'no result'}`);
for (const x of tests?.failures ?? []) console.log(`  FAILED ${x}`);
for (const [label, st] of [['PreAct ResNet-18 PGD-10 step', s.preactResnet18PgdStep], ['ResNet-18 PGD-AT step', s.resnet18PgdAtStep], ['reference CNN PGD-AT step', s.referenceCnnPgdAt]]) {
  console.log(`${label}: ${st ? `batch ${st.batch}, ${f(st.imagesPerSecond, 2)} images/s, ${f(st.msPerStep, 0)} ms/step (${st.timedSteps} timed), compile ${f(st.compileSeconds)} s` : 'no result'}`);
}
for (const g of s.matmulGflops) console.log(`${g.kernel}: ${f(g.gflops, 2)} GFLOP/s`);
for (const g of s.gemmKLoopUnrolledVsRolled) console.log(`${g.variant} (k loop ${g.unrolledK ? 'unrolled' : 'rolled'}): ${f(g.bestGflops, 2)} GFLOP/s best, ${f(g.medianGflops, 2)} median`);
if (s.convShapes) {
  console.log(`convolution shapes (ResNet-18, WRN-34-10): ${s.convShapes.shapes - s.convShapes.belowHalf.length} of ${s.convShapes.shapes} at >= 50% of the matmul's ${f(s.convShapes.matmulGflops, 1)} GFLOP/s`);
  for (const b of s.convShapes.belowHalf) console.log(`  below half: ${b}`);
}
console.log(`parts: ${Object.entries(parts).map(([n, p]) => `${n} ${p.status} (${p.seconds} s)`).join(', ')}`);
console.log(`written: ${join(out, 'gpu-check.json')}`);
