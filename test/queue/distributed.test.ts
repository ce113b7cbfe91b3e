/**
 * The distributed path end to end: a real redis-server on 127.0.0.1 (a free port, no persistence,
 * a temp dir), `matc worker`s as child processes of the built CLI, and the CLI's own sweep and eval
 * commands as clients. The sweep loses a worker to SIGKILL in the middle of a run; every run must
 * still finish exactly once with the local sweep's numbers. A 3-shard eval must equal the
 * single-process record number for number. Needs `npm run build` (dist/) and redis-server.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { QUEUE_NAME, QUEUE_PREFIX, JOB_OPTIONS } from '../../src/queue/jobs.js';

const BIN = resolve('dist/src/cli/bin.js');
const FILE = 'pipelines/experiments/rl_pgd_mlp.mat';
// Tiny runs: 300 training images, 3 epochs (a kill after epoch 1 leaves a run to resume), test at the end.
const SET = ['train.epochs=3', 'data.subset=first(300)', 'data.test_subset=first(200)', 'evaluate.every=3'];
const GRID = 'data.label_noise=0,0.5,1';
const LOCK_SECONDS = '10';

let tmp: string;
let redis: ChildProcess;
let url: string;
const workers: { name: string; proc: ChildProcess; log: string[] }[] = [];

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function startWorker(name: string): void {
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--name', name, '--lock-seconds', LOCK_SECONDS], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const take = (b: Buffer) => log.push(...b.toString().split('\n').filter(Boolean));
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', take);
  workers.push({ name, proc, log });
}

/** Run the CLI to completion; resolves with its exit code and output. */
function cli(args: string[], timeoutMs = 300_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
  });
}

function queue(): Queue {
  const port = Number(new URL(url).port);
  return new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null }, prefix: QUEUE_PREFIX });
}

/** metrics.jsonl without the timing fields: what must not depend on where or how often a run was interrupted. */
function metrics(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    delete r['seconds'];
    return r;
  });
}

function evalRecordWithoutTimes(path: string): unknown {
  const r = JSON.parse(readFileSync(path, 'utf8')) as { attacks: Record<string, { seconds?: number }> };
  for (const a of Object.values(r.attacks)) delete a.seconds;
  return r;
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is not installed (scripts/setup.sh installs it)');
  tmp = mkdtempSync(join(tmpdir(), 'matc-queue-'));
  const port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: 'ignore' });
  await until('redis-server', () => spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG', 20_000);
}, 60_000);

afterAll(async () => {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
  if (redis && redis.exitCode === null) {
    redis.kill('SIGTERM');
    await new Promise((r) => redis.once('exit', r));
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('matc sweep and eval on a BullMQ queue', () => {
  it('a sweep survives a worker killed with SIGKILL mid-run: every run once, the local sweep\'s numbers', { timeout: 900_000 }, async () => {
    const local = join(tmp, 'local');
    const queued = join(tmp, 'queued');
    const base = ['sweep', FILE, '--grid', GRID, ...SET.flatMap((s) => ['--set', s])];
    const l = await cli([...base, '--out', local], 600_000);
    expect(l.code, l.stderr).toBe(0);

    for (const name of ['w1', 'w2', 'w3']) startWorker(name);
    const sweep = cli([...base, '--out', queued, '--queue', url], 600_000);
    // Kill the first worker seen finishing epoch 1 of a run (its resume checkpoint is on disk).
    let victim: (typeof workers)[number] | undefined;
    let victimRun = '';
    await until('a worker in the middle of a run', () => {
      for (const w of workers) {
        const line = w.log.find((s) => /\] epoch +1 /.test(s));
        const run = line ? /\[([^\]]+)\]/.exec(line.slice(line.indexOf(': ') + 2))![1]! : '';
        if (line && existsSync(join(queued, run, 'resume.safetensors'))) {
          victim = w;
          victimRun = run;
          return true;
        }
      }
      return false;
    }, 300_000);
    victim!.proc.kill('SIGKILL');
    const s = await sweep;
    expect(s.code, s.stderr + s.stdout).toBe(0);

    // The killed worker's run was resumed elsewhere, not restarted: a survivor logs the resume.
    const survivors = workers.filter((w) => w !== victim);
    expect(survivors.some((w) => w.log.some((x) => new RegExp(`\\[${victimRun.replace(/[.=]/g, '\\$&')}\\] resuming at epoch [23] `).test(x)))).toBe(true);
    expect(victim!.log.some((x) => x.includes(`[${victimRun}] done`))).toBe(false);

    const q = queue();
    try {
      const jobs = await q.getJobs(['completed', 'failed', 'active', 'wait', 'delayed'], 0, -1);
      expect(jobs).toHaveLength(3);
      for (const job of jobs) expect(await job.getState()).toBe('completed');
      const taken = jobs.find((j) => j.data.name === victimRun)!;
      expect(taken.returnvalue.worker).not.toBe(victim!.name);
      expect(taken.stalledCounter + taken.attemptsStarted).toBeGreaterThan(1);
    } finally {
      await q.close();
    }

    // Exactly once: each run logs epochs 1..3 once, and equals the local sweep's run, number for number.
    const names = (JSON.parse(readFileSync(join(local, 'sweep.json'), 'utf8')) as { runs: { name: string }[] }).runs.map((r) => r.name);
    expect(names).toHaveLength(3);
    for (const name of names) {
      const m = metrics(join(queued, name));
      expect(m.map((r) => r['epoch'])).toEqual([1, 2, 3]);
      expect(m).toEqual(metrics(join(local, name)));
      expect(existsSync(join(queued, name, 'run-complete.json'))).toBe(true);
    }
    const csv = (dir: string) => readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n').map((line) => line.split(',').filter((_, i) => i !== 4).join(','));
    expect(csv(queued)).toEqual(csv(local)); // column 4 is seconds
    for (const f of ['summary.txt', 'summary.md', 'report.html', 'train-accuracy.svg', 'sweep.json']) expect(existsSync(join(queued, f))).toBe(true);

    // Enqueued again: nothing new, nothing rerun.
    const logged = survivors.map((w) => w.log.length);
    const again = await cli([...base, '--out', queued, '--queue', url], 120_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/0 enqueued now, 3 already queued or done/);
    expect(survivors.map((w) => w.log.length)).toEqual(logged);
  });

  it('a 3-shard eval equals the single-process eval, number for number', { timeout: 600_000 }, async () => {
    const ckpt = join(tmp, 'local', 'rl_pgd_mlp__data.label_noise=0', 'model-final.safetensors');
    expect(existsSync(ckpt)).toBe(true);
    // 192 examples in chunks of 64: the shards compile the same batch size as the whole evaluation.
    const args = ['eval', ckpt, '--attacks', 'natural,pgd10', '--n', '192', '--batch', '64'];
    const one = await cli([...args, '--out', join(tmp, 'one.json')], 300_000);
    expect(one.code, one.stderr).toBe(0);
    const sharded = await cli([...args, '--out', join(tmp, 'sharded.json'), '--shards', '3', '--queue', url], 400_000);
    expect(sharded.code, sharded.stderr).toBe(0);
    expect(sharded.stderr).toMatch(/shard-3of3\] done/);
    const a = evalRecordWithoutTimes(join(tmp, 'one.json')) as { attacks: Record<string, { robust: number[]; accuracy: number }> };
    expect(a.attacks['Natural']!.robust).toHaveLength(192);
    expect(a.attacks['Natural']!.accuracy).toBeGreaterThan(0.3); // a trained model, so the flags say something
    expect(evalRecordWithoutTimes(join(tmp, 'sharded.json'))).toEqual(a);
    // The shard partials are gone once merged.
    expect(existsSync(`${join(tmp, 'sharded.json')}.shard-1of3.json`)).toBe(false);
  });

  it('a job with a user error (bad pipeline) fails once with its message; queue status shows it', { timeout: 120_000 }, async () => {
    if (!workers.some((w) => w.proc.exitCode === null && w.proc.signalCode === null)) startWorker('w4');
    const bad = join(tmp, 'bad.mat');
    writeFileSync(bad, 'pipeline broken {\n  data fashion_mnist { subset: first(10) }\n  model f = no_such_model()\n}\n');
    const q = queue();
    try {
      const job = await q.add('bad', { kind: 'run', group: 'sweep-badtest', name: 'bad', file: bad, fileAsGiven: bad, overrides: [], gridOverrides: [], dir: join(tmp, 'bad-run'), epochs: 1 }, { ...JOB_OPTIONS, jobId: 'sweep-badtest.bad' });
      await until('the bad job to fail', async () => (await job.getState()) === 'failed', 60_000);
      const failed = (await q.getJob(job.id!))!;
      expect(failed.attemptsMade).toBe(1);
      expect(failed.failedReason).toMatch(/no_such_model/);
      await sleep(1000);
      expect(await failed.getState()).toBe('failed'); // not retried
    } finally {
      await q.close();
    }
    const st = await cli(['queue', 'status', '--queue', url]);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/sweep sweep-badtest .*0 waiting, 0 running, 0 done, 1 failed/);
    expect(st.stdout).toMatch(/failed: +bad: .*no_such_model/);

    // retry puts it back; a worker takes it and it fails again, once, for the same reason.
    const retry = await cli(['queue', 'retry', '--queue', url, '--group', 'sweep-badtest']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toMatch(/^1 failed job\(s\) back in the queue/);
    const q2 = queue();
    try {
      await until('the retried job to fail again', async () => (await (await q2.getJob('sweep-badtest.bad'))!.getState()) === 'failed', 60_000);
      expect((await q2.getJob('sweep-badtest.bad'))!.failedReason).toMatch(/no_such_model/);
    } finally {
      await q2.close();
    }
  });

  it('queue drain removes the jobs no worker has taken, only in the group named', { timeout: 120_000 }, async () => {
    const q = queue();
    try {
      // Delayed jobs: no worker may take them before drain does its work.
      const later = { ...JOB_OPTIONS, delay: 600_000 };
      const data = (group: string, name: string) => ({ kind: 'run' as const, group, name, file: FILE, fileAsGiven: FILE, overrides: [], gridOverrides: [], dir: join(tmp, group, name), epochs: 1 });
      for (const name of ['a', 'b']) await q.add(name, data('sweep-drainme', name), { ...later, jobId: `sweep-drainme.${name}` });
      await q.add('c', data('sweep-keepme', 'c'), { ...later, jobId: 'sweep-keepme.c' });
      const drain = await cli(['queue', 'drain', '--queue', url, '--group', 'sweep-drainme']);
      expect(drain.code, drain.stderr).toBe(0);
      expect(drain.stdout).toMatch(/^removed 2 waiting job\(s\)/);
      expect(await q.getJob('sweep-drainme.a')).toBeUndefined();
      expect(await q.getJob('sweep-drainme.b')).toBeUndefined();
      expect(await (await q.getJob('sweep-keepme.c'))!.getState()).toBe('delayed');
      await (await q.getJob('sweep-keepme.c'))!.remove();
    } finally {
      await q.close();
    }
  });

  it('bad or unreachable queues: a clear message, exit 1, no stack trace, never the password', async () => {
    const wrong = await cli(['queue', 'status', '--queue', `redis://:hunter2secret@127.0.0.1:${await freePort()}/0`]);
    const down = await cli(['sweep', FILE, '--grid', GRID, '--out', join(tmp, 'x'), '--queue', `redis://user:hunter2secret@127.0.0.1:${await freePort()}`]);
    const scheme = await cli(['worker', '--queue', 'http://127.0.0.1:1']);
    for (const r of [wrong, down, scheme]) {
      expect(r.code).toBe(1);
      expect(r.stderr + r.stdout).not.toMatch(/hunter2secret|\n\s+at /);
    }
    expect(down.stderr).toMatch(/cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(wrong.stderr).toMatch(/redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(scheme.stderr).toMatch(/must be redis:\/\/ or rediss:\/\//);
  });
});
