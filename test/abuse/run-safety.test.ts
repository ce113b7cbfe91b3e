/**
 * Runs must never lose data or show stale numbers: misuse of `matc run --out/--resume` and of sweep
 * directories, driven through runPipeline on a tiny MLP and a few hundred synthetic 28x28 images.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, existsSync, mkdirSync, rmSync, linkSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ResolvedPipeline } from '../../src/check/index.js';
import { checkedSource } from '../helpers/pipeline.js';
import { runPipeline, type RunEvent } from '../../src/train/run.js';
import { RunDirError } from '../../src/io/run-folder.js';
import { acquireRunLock } from '../../src/io/run-lock.js';
import { DivergenceWatch } from '../../src/train/divergence.js';
import { NonFiniteLossError } from '../../src/train/trainer.js';
import { runState, writeRunRecord } from '../../src/sweep/run-state.js';
import { writeSweepSummary } from '../../src/sweep/sweep.js';
import { planSweep } from '../../src/sweep/sweep.js';
import { main } from '../../src/cli/main.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { makeTempDir, writeIdxDataset } from '../data/fixtures.js';

let dataDir = '';

interface Options {
  epochs?: number;
  seed?: number;
  optimizer?: string;
  lr?: string;
}

function pipeline(o: Options = {}): ResolvedPipeline {
  const source = `import "models/mlp.mat"
pipeline tiny {
  data fashion_mnist { path: "${dataDir}", subset: first(200), test_subset: first(40) }
  model f = mlp(classes: 10, inputs: 784, hidden: 16)
  minimize ce(f(x), y)
  train { epochs: ${o.epochs ?? 1}, batch: 50, seed: ${o.seed ?? 1}, optimizer: ${o.optimizer ?? 'sgd(lr: 0.05, momentum: 0.9)'}${o.lr ? `, lr: ${o.lr}` : ''} }
  evaluate { every: 1, batch: 40, attacks: [natural], select: natural }
}`;
  return checkedSource(source, 'tiny.mat');
}

async function run(p: ResolvedPipeline, outDir: string, resume = false, onEvent: (e: RunEvent) => void = () => {}) {
  return runPipeline(p, { outDir, resume, runtime: await sharedTestRuntime() }, onEvent);
}

/** Every file under dir (relative path -> bytes), to show that a refusal changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const path = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
      files.set(path.slice(dir.length + 1), readFileSync(path).toString('base64'));
    }
  }
  return files;
}

async function refusal(promise: Promise<unknown>): Promise<RunDirError> {
  const e = await promise.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(RunDirError);
  return e as RunDirError;
}

function notes(events: RunEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'note' || e.type === 'warning' ? [`${e.type}: ${e.message}`] : []));
}

describe('run directory safety', () => {
  beforeAll(() => {
    dataDir = makeTempDir('matc-safety-data-').dir;
    writeIdxDataset(dataDir, { n: 200, nTest: 40, h: 28, w: 28, gzip: false });
  });

  it('--resume without a resume file refuses and keeps the log and both models', { timeout: 300_000 }, async () => {
    const dir = makeTempDir('matc-safety-').dir;
    await run(pipeline(), dir);
    rmSync(join(dir, 'resume.safetensors'));
    const before = snapshot(dir);
    expect([...before.keys()]).toEqual(expect.arrayContaining(['metrics.jsonl', 'model-best.safetensors', 'model-final.safetensors']));
    const e = await refusal(run(pipeline({ epochs: 2 }), dir, true));
    expect(e.message).toMatch(/has no resume\.safetensors.*nothing was changed/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('--resume compares seed and settings with run.json; a finished run says it is complete; more epochs continue', { timeout: 300_000 }, async () => {
    const dir = makeTempDir('matc-safety-').dir;
    await run(pipeline({ epochs: 1, seed: 1 }), dir);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toMatchObject({ pipeline: 'tiny', seed: 1, pipeline_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const before = snapshot(dir);

    const seed = await refusal(run(pipeline({ epochs: 2, seed: 2 }), dir, true));
    expect(seed.message).toMatch(/train\.seed is 2 now but the run was started with 1/);
    const lr = await refusal(run(pipeline({ epochs: 2, optimizer: 'sgd(lr: 0.01, momentum: 0.9)' }), dir, true));
    expect(lr.message).toMatch(/train\.optimizer\.lr is 0\.01 now but the run was started with 0\.05/);
    expect(snapshot(dir)).toEqual(before);

    // At (or past) the last epoch: nothing is trained, and the user is told the run is complete.
    const events: RunEvent[] = [];
    const same = await run(pipeline({ epochs: 1 }), dir, true, (e) => events.push(e));
    expect(events.some((e) => e.type === 'epoch' || e.type === 'start')).toBe(false);
    expect(notes(events).join('\n')).toMatch(/is complete: it has trained 1 epoch and train\.epochs is 1/);
    expect(same.final!.epoch).toBe(1);
    expect(snapshot(dir)).toEqual(before);

    // Raising train.epochs is the allowed change: said, then trained from epoch 2.
    const more: RunEvent[] = [];
    const longer = await run(pipeline({ epochs: 2 }), dir, true, (e) => more.push(e));
    expect(notes(more).join('\n')).toMatch(/train\.epochs is 2 now \(the run was started with 1\)/);
    expect(more.filter((e) => e.type === 'epoch').map((e) => (e as { metrics: { epoch: number } }).metrics.epoch)).toEqual([2]);
    expect(longer.final!.epoch).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, 'run-complete.json'), 'utf8')).final_epoch).toBe(2);
  });

  it('a fresh run clears the files matc wrote (stale eval/*.json, report.html) and refuses foreign files', { timeout: 300_000 }, async () => {
    const dir = makeTempDir('matc-safety-').dir;
    await run(pipeline(), dir);
    mkdirSync(join(dir, 'eval'));
    writeFileSync(join(dir, 'eval', 'best.json'), '{"checkpoint":"best","attacks":{"pgd":{"accuracy":0.99,"n":40}}}\n');
    writeFileSync(join(dir, 'report.html'), '<html>old</html>');
    await run(pipeline(), dir);
    expect(existsSync(join(dir, 'eval'))).toBe(false);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
    expect(existsSync(join(dir, 'metrics.jsonl'))).toBe(true);

    writeFileSync(join(dir, 'notes.txt'), 'my notes');
    mkdirSync(join(dir, 'eval'));
    writeFileSync(join(dir, 'eval', 'mine.json'), '{}');
    const before = snapshot(dir);
    const e = await refusal(run(pipeline(), dir));
    expect(e.message).toMatch(/holds files that matc run did not write \(eval\/mine\.json, notes\.txt\)/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('--out naming a file is a clear refusal, not EEXIST', async () => {
    const dir = makeTempDir('matc-safety-').dir;
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const e = await refusal(run(pipeline(), file));
    expect(e.message).toMatch(/--out .*a-file: is a file, not a directory/);
    const below = await refusal(run(pipeline(), join(file, 'sub')));
    expect(below.message).toMatch(/a part of the path is a file/);

    // Through the CLI: a user error (exit 1), not "internal error: EEXIST".
    let err = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['run', 'test/cli/fixtures/tiny.mat', '--out', file]);
    } finally {
      process.stderr.write = write;
    }
    expect(code).toBe(1);
    expect(err).toMatch(/^matc: --out .*a-file: is a file, not a directory/);
    expect(err).not.toMatch(/internal error|EEXIST/);
  });

  it('two runs into one directory: the second is refused naming the holder; the lock goes on success and failure', { timeout: 300_000 }, async () => {
    const dir = makeTempDir('matc-safety-').dir;
    const first = run(pipeline({ epochs: 2 }), dir);
    const second = await refusal(run(pipeline({ epochs: 2 }), dir));
    expect(second.message).toMatch(new RegExp(`in use by another run: pid ${process.pid} on ${hostname()}, started \\d{4}-`));
    const done = await first;
    expect(done.final!.epoch).toBe(2);
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch)).toEqual([1, 2]);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);

    // A run that fails (no such data) still releases the lock.
    const bad = pipeline();
    bad.settings.data.path = join(dir, 'no-such-data');
    await expect(run(bad, dir)).rejects.toThrow();
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('stale locks are taken over with a note (same host, dead pid); another host is refused; SIGINT releases', () => {
    const dir = makeTempDir('matc-safety-lock-').dir;
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: dead, host: hostname(), started: '2020-01-01T00:00:00.000Z' }));
    const lock = acquireRunLock(dir);
    expect(lock.note).toMatch(new RegExp(`took over a stale lock of pid ${dead} on ${hostname()}, started 2020-01-01`));
    expect(JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);

    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: dead, host: 'elsewhere', started: '2020-01-01T00:00:00.000Z' }));
    expect(() => acquireRunLock(dir)).toThrow(/pid \d+ on elsewhere.*another host/);
    rmSync(join(dir, 'run.lock'));

    // A SIGINT handled by the embedding program (this listener) releases the lock without exiting.
    const keepAlive = () => {};
    process.on('SIGINT', keepAlive);
    try {
      acquireRunLock(dir);
      expect(existsSync(join(dir, 'run.lock'))).toBe(true);
      process.emit('SIGINT', 'SIGINT');
      expect(existsSync(join(dir, 'run.lock'))).toBe(false);
    } finally {
      process.removeListener('SIGINT', keepAlive);
    }
  });

  it('finished means run-complete.json after the last checkpoint: a kill before it leaves the run partial, and resume completes it', { timeout: 300_000 }, async () => {
    const dir = makeTempDir('matc-safety-').dir;
    const p = pipeline({ epochs: 2 });
    const record = { file: 'tiny.mat', overrides: [] };
    writeRunRecord(dir, record);
    // "Kill" the run after epoch 2's log line and final model, before its resume checkpoint.
    const killed = run(p, dir, false, (e) => {
      if (e.type === 'checkpoint' && e.kind === 'final' && e.epoch === 2) throw new Error('killed');
    });
    await expect(killed).rejects.toThrow('killed');
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)).toMatch(/"epoch":2/);
    expect(existsSync(join(dir, 'model-final.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'run-complete.json'))).toBe(false);
    expect(runState(dir, record, 2)).toBe('partial');

    const events: RunEvent[] = [];
    await run(p, dir, true, (e) => events.push(e));
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(1); // epoch 2 redone from epoch 1's state
    expect(runState(dir, record, 2)).toBe('finished');
    expect(JSON.parse(readFileSync(join(dir, 'run-complete.json'), 'utf8'))).toMatchObject({ pipeline: 'tiny', final_epoch: 2 });
  });

  it('sweep summaries and sweep-run.json are replaced atomically (a new file, not rewritten in place)', () => {
    const out = makeTempDir('matc-safety-sweep-').dir;
    const { points } = planSweep(['pipelines/experiments/rl_pgd_cnn.mat'], ['data.label_noise=0,1'], []);
    const outcomes = points.map((point) => ({ point, dir: join(out, point.name), status: 'done' as const }));
    for (const o of outcomes) mkdirSync(o.dir, { recursive: true });
    writeSweepSummary(out, outcomes);
    writeRunRecord(outcomes[0]!.dir, { file: 'a.mat', overrides: ['x=1'] });
    // A hard link keeps the old inode: an in-place rewrite would change what it shows, a rename does not.
    const linked = ['summary.csv', 'summary.txt', 'train-accuracy.svg', 'report.html'].map((f) => [join(out, f), join(out, `${f}.old`)] as const);
    linked.push([join(outcomes[0]!.dir, 'sweep-run.json'), join(out, 'sweep-run.json.old')]);
    const old = linked.map(([f, l]) => {
      linkSync(f, l);
      return readFileSync(l, 'utf8');
    });
    writeFileSync(join(outcomes[0]!.dir, 'metrics.jsonl'), `${JSON.stringify({ epoch: 1, step: 1, lr: 0.1, schedules: {}, train_loss: 1, train_natural_acc: 0.5, train_robust_acc: 0.25, test_natural_acc: 0.5, test_robust_acc: 0.2, eval: { natural: 0.5, pgd: 0.2 }, seconds: 1, is_best: true })}\n`);
    writeSweepSummary(out, outcomes);
    writeRunRecord(outcomes[0]!.dir, { file: 'a.mat', overrides: ['x=2'] });
    linked.forEach(([f, l], i) => {
      expect(readFileSync(l, 'utf8'), l).toBe(old[i]);
      expect(readFileSync(f, 'utf8'), f).not.toBe(old[i]);
    });
  });
});

describe('divergence and NaN', () => {
  beforeAll(() => {
    dataDir ||= makeTempDir('matc-safety-data-').dir;
    if (!existsSync(join(dataDir, 'train-images-idx3-ubyte'))) writeIdxDataset(dataDir, { n: 200, nTest: 40, h: 28, w: 28, gzip: false });
  });

  it('the divergence watch fires far outside healthy values, once per sign, and never near them', () => {
    const watch = new DivergenceWatch(10, 5);
    // Healthy: chance-level loss and beyond, weights grown tenfold.
    expect(watch.check(1, 2.31, 5)).toEqual([]);
    expect(watch.check(2, 30, 50)).toEqual([]);
    const w = watch.check(3, 4e8, 3e10);
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/loss is 4\.00e\+8, above 100 x ln\(10\) = 230/);
    expect(w[1]).toMatch(/L2 norm is 3\.00e\+10, over 100 x its initial 5\.00/);
    expect(watch.check(4, 5e8, 4e10)).toEqual([]);
    expect(new DivergenceWatch(10, null).check(1, 1, 1e12)).toEqual([]);
  });

  it('a healthy run warns of nothing; lr 30 warns before it ends', { timeout: 300_000 }, async () => {
    const healthy: RunEvent[] = [];
    await run(pipeline({ epochs: 2 }), makeTempDir('matc-safety-').dir, false, (e) => healthy.push(e));
    expect(healthy.filter((e) => e.type === 'warning')).toEqual([]);

    const wild: RunEvent[] = [];
    await run(pipeline({ epochs: 2, optimizer: 'sgd(lr: 30, momentum: 0.9)' }), makeTempDir('matc-safety-').dir, false, (e) => wild.push(e)).catch((e: unknown) => {
      if (!(e instanceof NonFiniteLossError)) throw e;
    });
    expect(notes(wild).join('\n')).toMatch(/warning: training is diverging/);
  });

  it('the NaN stop names the checkpoint that survives, or says there is none', { timeout: 300_000 }, async () => {
    const none = await run(pipeline({ optimizer: 'sgd(lr: 1e30)' }), makeTempDir('matc-safety-').dir).then(() => null, (e: unknown) => e);
    expect(none).toBeInstanceOf(NonFiniteLossError);
    expect((none as Error).message).toMatch(/No checkpoint was written/);
    expect((none as Error).message).not.toMatch(/is kept|are kept/);

    const dir = makeTempDir('matc-safety-').dir;
    const later = await run(pipeline({ epochs: 3, lr: 'piecewise(0.05, {1: 1e30})' }), dir).then(() => null, (e: unknown) => e);
    expect(later).toBeInstanceOf(NonFiniteLossError);
    expect((later as Error).message).toMatch(/checkpoints of epoch 1, the last good one, are kept/);
    expect(existsSync(join(dir, 'resume.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'run-complete.json'))).toBe(false);
  });
});
