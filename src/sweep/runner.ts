/**
 * Runs the points of a sweep. With one job, runs go one after another in this process on one
 * shared Runtime (no device start-up per run). With N jobs, N child processes each run
 * `matc run FILE --set ... --out DIR [--resume]`, their output going to DIR/run.log. Finished runs
 * are skipped, interrupted ones resumed (see run-state.ts); a failed run is reported and the sweep
 * goes on with the others.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runtime } from '../runtime/runtime.js';
import { runPipeline, type RunEvent } from '../train/run.js';
import type { CheckedPoint } from './validate.js';
import { runState, writeRunRecord, type RunState } from './run-state.js';

export type SweepEvent =
  | { type: 'skip'; point: CheckedPoint; dir: string }
  | { type: 'start'; point: CheckedPoint; dir: string; resume: boolean }
  | { type: 'run'; point: CheckedPoint; event: RunEvent }
  | { type: 'done'; point: CheckedPoint; dir: string; ok: boolean; seconds: number; error?: string };

export interface SweepRunOptions {
  outDir: string;
  jobs: number;
  dataDir?: string;
  /** In-process runs reuse this runtime (the caller owns it); otherwise one is created for the sweep. */
  runtime?: Runtime;
  /** The matc CLI entry for worker processes (default: dist/src/cli/bin.js next to this module). */
  cliEntry?: string;
  /** Log grad_norm_sq per epoch (in-process runs only: `matc run` has no such flag). */
  logGradientNorm?: boolean;
}

export interface PointOutcome {
  point: CheckedPoint;
  dir: string;
  /** 'skipped' (finished before), 'done', or 'failed'. */
  status: 'skipped' | 'done' | 'failed';
  error?: string;
}

/** The compiled CLI entry: dist/src/cli/bin.js, found from this module's place (src/ or dist/src/). */
export function defaultCliEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = resolve(here, '../cli/bin.js');
  if (existsSync(sibling)) return sibling;
  return resolve(here, '../../dist/src/cli/bin.js');
}

export async function runSweep(points: readonly CheckedPoint[], opts: SweepRunOptions, onEvent: (e: SweepEvent) => void = () => {}): Promise<PointOutcome[]> {
  mkdirSync(opts.outDir, { recursive: true });
  const outcomes: PointOutcome[] = new Array(points.length);
  const pending: { index: number; state: RunState }[] = [];
  points.forEach((point, index) => {
    const dir = join(opts.outDir, point.name);
    const state = runState(dir, { file: point.file, overrides: point.overrides }, point.pipeline.settings.train.epochs);
    if (state === 'finished') {
      outcomes[index] = { point, dir, status: 'skipped' };
      onEvent({ type: 'skip', point, dir });
    } else pending.push({ index, state });
  });
  if (pending.length === 0) return outcomes;
  if (opts.logGradientNorm && opts.jobs > 1) throw new Error('sweep: the gradient-norm log needs in-process runs (--jobs 1)');

  const runOne = opts.jobs <= 1 ? await inProcessRunner(opts) : childProcessRunner(opts);
  try {
    let next = 0;
    const worker = async () => {
      while (next < pending.length) {
        const { index, state } = pending[next++]!;
        const point = points[index]!;
        const dir = join(opts.outDir, point.name);
        const resume = state === 'partial';
        // The record is written first: a run killed at any point is recognised as this point's.
        writeRunRecord(dir, { file: point.file, overrides: point.overrides });
        onEvent({ type: 'start', point, dir, resume });
        const started = performance.now();
        try {
          await runOne.run(point, dir, resume, onEvent);
          outcomes[index] = { point, dir, status: 'done' };
          onEvent({ type: 'done', point, dir, ok: true, seconds: (performance.now() - started) / 1000 });
        } catch (e) {
          const error = (e as Error).message;
          outcomes[index] = { point, dir, status: 'failed', error };
          onEvent({ type: 'done', point, dir, ok: false, seconds: (performance.now() - started) / 1000, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, pending.length)) }, worker));
  } finally {
    runOne.close();
  }
  return outcomes;
}

interface PointRunner {
  run(point: CheckedPoint, dir: string, resume: boolean, onEvent: (e: SweepEvent) => void): Promise<void>;
  close(): void;
}

async function inProcessRunner(opts: SweepRunOptions): Promise<PointRunner> {
  let owned: Runtime | null = null;
  const runtime = async (): Promise<Runtime> => {
    if (opts.runtime) return opts.runtime;
    if (!owned) {
      const { Runtime } = await import('../runtime/runtime.js');
      owned = await Runtime.create();
    }
    return owned;
  };
  return {
    async run(point, dir, resume, onEvent) {
      const rt = await runtime();
      // Each run starts on an empty store: points of one sweep may be different architectures whose
      // layers share names but not shapes, and a finished run's buffers are not needed again.
      rt.variables.clear();
      await runPipeline(point.pipeline, { outDir: dir, resume, runtime: rt, dataDir: opts.dataDir, logGradientNorm: opts.logGradientNorm }, (event) => onEvent({ type: 'run', point, event }));
    },
    close() {
      (owned as Runtime | null)?.destroy();
    },
  };
}

function childProcessRunner(opts: SweepRunOptions): PointRunner {
  const entry = opts.cliEntry ?? defaultCliEntry();
  return {
    run(point, dir, resume) {
      const args = [entry, 'run', point.file, ...point.overrides.flatMap((o) => ['--set', o]), '--out', dir];
      if (resume) args.push('--resume');
      if (opts.dataDir) args.push('--data-dir', opts.dataDir);
      mkdirSync(dir, { recursive: true });
      const log = openSync(join(dir, 'run.log'), resume ? 'a' : 'w');
      return new Promise<void>((ok, fail) => {
        const child = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
        child.on('error', (e) => {
          closeSync(log);
          fail(e);
        });
        child.on('exit', (code, signal) => {
          closeSync(log);
          if (code === 0) ok();
          else fail(new Error(`matc run exited with ${signal ?? `code ${code}`}; see ${join(dir, 'run.log')}`));
        });
      });
    },
    close() {},
  };
}
