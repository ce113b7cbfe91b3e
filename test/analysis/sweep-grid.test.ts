/** Sweep planning without a GPU: grid parsing and expansion, validation of keys, run states, the summary. */
import { describe, it, expect } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseGrid, parseGridAxis, expandGrid, splitTopLevel, GridError } from '../../src/sweep/grid.js';
import { planSweep } from '../../src/sweep/sweep.js';
import { SweepValidationError } from '../../src/sweep/validate.js';
import { runState, writeRunRecord } from '../../src/sweep/run-state.js';
import { summarizeRun, summaryCsv, summaryMarkdown, summaryText } from '../../src/sweep/summary.js';
import { runSweep } from '../../src/sweep/runner.js';
import { makeTempDir } from '../data/fixtures.js';

const FILE = 'pipelines/experiments/rl_pgd_cnn.mat';

function record(epoch: number, trainRob: number, testRob: number | null, isBest: boolean): string {
  return JSON.stringify({ epoch, step: epoch * 5, lr: 0.001, schedules: {}, train_loss: 1, train_natural_acc: 0.9, train_robust_acc: trainRob, test_natural_acc: testRob === null ? null : 0.8, test_robust_acc: testRob, eval: testRob === null ? {} : { natural: 0.8, pgd: testRob }, seconds: 10, is_best: isBest });
}

function fakeRun(dir: string, overrides: string[], lines: string[], files: string[]): void {
  mkdirSync(dir, { recursive: true });
  writeRunRecord(dir, { file: FILE, overrides });
  writeFileSync(join(dir, 'metrics.jsonl'), lines.map((l) => `${l}\n`).join(''));
  for (const f of files) writeFileSync(join(dir, f), 'x');
}

describe('sweep grid', () => {
  it('splits values only at top-level commas', () => {
    expect(splitTopLevel('sgd(lr: 0.1, momentum: 0.9),adam(lr: 0.001)')).toEqual(['sgd(lr: 0.1, momentum: 0.9)', 'adam(lr: 0.001)']);
    expect(parseGridAxis('data.label_noise=0,0.2, 0.4')).toEqual({ key: 'data.label_noise', values: ['0', '0.2', '0.4'] });
  });

  it('expands every combination, last axis fastest, with --set first', () => {
    const axes = parseGrid(['a.x=1,2', 'b.y=p,q,r']);
    const points = expandGrid(['dir/f.mat', 'g.mat'], axes, ['train.epochs=1']);
    expect(points).toHaveLength(12);
    expect(points[0]!.overrides).toEqual(['train.epochs=1', 'a.x=1', 'b.y=p']);
    expect(points[1]!.gridOverrides).toEqual(['a.x=1', 'b.y=q']);
    expect(points[5]!.name).toBe('f__a.x=2__b.y=r');
    expect(points[6]!.file).toBe('g.mat');
    expect(new Set(points.map((p) => p.name)).size).toBe(12);
  });

  it('rejects malformed grids', () => {
    expect(() => parseGridAxis('novalues')).toThrow(GridError);
    expect(() => parseGridAxis('k=1,,2')).toThrow(/empty value/);
    expect(() => parseGrid(['k=1', 'k=2'])).toThrow(/given twice/);
  });

  it('checks every point with the --set checker: a bad key is a clear error before anything runs', () => {
    expect(() => planSweep([FILE], ['data.label_nois=0,1'], [])).toThrow(SweepValidationError);
    try {
      planSweep([FILE], ['data.label_nois=0,1'], []);
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/unknown setting `data.label_nois`/);
      expect(msg).toMatch(/did you mean `label_noise`/);
      expect(msg).toMatch(/nothing was run/);
    }
    expect(() => planSweep([FILE], ['data.label_noise=0,1.5'], [])).toThrow(SweepValidationError);
    const { points } = planSweep([FILE], ['data.label_noise=0,0.4'], ['train.epochs=2']);
    expect(points.map((p) => p.pipeline.settings.data.label_noise)).toEqual([0, 0.4]);
    expect(points[0]!.pipeline.settings.train.epochs).toBe(2);
  });
});

describe('sweep run states and summary', () => {
  it('finished runs are skipped (no device needed), partial ones resume, changed overrides start afresh', async () => {
    const out = makeTempDir('matc-sweep-').dir;
    const { points } = planSweep([FILE], ['data.label_noise=0,1'], ['train.epochs=2']);
    const [done, half] = points as [typeof points[0], typeof points[0]];
    fakeRun(join(out, done.name), done.overrides, [record(1, 0.3, null, false), record(2, 0.5, 0.2, true)], ['model-final.safetensors', 'resume.safetensors']);
    fakeRun(join(out, half.name), half.overrides, [record(1, 0.3, null, false)], ['resume.safetensors']);
    // The log at the last epoch and a final model are not enough: only the completion record is.
    expect(runState(join(out, done.name), { file: FILE, overrides: done.overrides }, 2)).toBe('partial');
    writeFileSync(join(out, done.name, 'run-complete.json'), JSON.stringify({ format: 'matc-run-complete-1', pipeline: 'rl_pgd_cnn', pipeline_hash: 'h', final_epoch: 2, best_epoch: 2, finished: '2020-01-01T00:00:00Z' }));
    expect(runState(join(out, done.name), { file: FILE, overrides: done.overrides }, 2)).toBe('finished');
    expect(runState(join(out, done.name), { file: FILE, overrides: done.overrides }, 3)).toBe('partial');
    expect(runState(join(out, half.name), { file: FILE, overrides: half.overrides }, 2)).toBe('partial');
    expect(runState(join(out, done.name), { file: FILE, overrides: [...done.overrides, 'train.seed=2'] }, 2)).toBe('fresh');
    expect(runState(join(out, 'nothing'), { file: FILE, overrides: [] }, 2)).toBe('fresh');

    const events: string[] = [];
    const outcomes = await runSweep([done], { outDir: out, jobs: 1 }, (e) => events.push(`${e.type}:${e.point.name}`));
    expect(events).toEqual([`skip:${done.name}`]);
    expect(outcomes[0]!.status).toBe('skipped');
  });

  it('summarises final and best epochs with both gaps', () => {
    const out = makeTempDir('matc-sweep-sum-').dir;
    fakeRun(join(out, 'r1'), ['data.label_noise=0.2'], [record(1, 0.4, 0.35, true), record(2, 0.7, 0.3, false)], []);
    const row = summarizeRun(join(out, 'r1'), 'r1', ['data.label_noise=0.2'], 'done');
    expect(row.grid).toEqual({ 'data.label_noise': '0.2' });
    expect(row.final!.epoch).toBe(2);
    expect(row.final!.robust_gap).toBeCloseTo(0.4, 10);
    expect(row.final!.natural_gap).toBeCloseTo(0.1, 10);
    expect(row.best!.epoch).toBe(1);
    expect(row.best!.robust_gap).toBeCloseTo(0.05, 10);
    expect(row.seconds).toBe(20);
    const csv = summaryCsv([row]).trim().split('\n');
    const header = csv[0]!.split(',');
    const cells = csv[1]!.split(',');
    const at = (k: string) => cells[header.indexOf(k)];
    expect(at('data.label_noise')).toBe('0.2');
    expect(at('final_train_robust')).toBe('0.7');
    expect(at('final_test_robust')).toBe('0.3');
    expect(at('final_robust_gap')).toBe('0.4');
    expect(at('best_epoch')).toBe('1');
    expect(at('best_test_robust')).toBe('0.35');
    expect(summaryText([row])).toMatch(/r1\s+0\.2\s+done\s+2\s+90\.0\s+70\.0\s+80\.0\s+30\.0\s+40\.0\s+1\s+35\.0\s+5\.0/);
    const md = summaryMarkdown([row, { ...row, name: 'r|2' }]).split('\n');
    expect(md[0]).toBe('| run | data.label_noise | status | ep | tr nat | tr rob | te nat | te rob | rob gap | best ep | best te rob | best rob gap | time s |');
    expect(md[1]).toBe('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    expect(md[2]).toBe('| r1 | 0.2 | done | 2 | 90.0 | 70.0 | 80.0 | 30.0 | 40.0 | 1 | 35.0 | 5.0 | 20 |');
    expect(md[3]!.startsWith('| r\\|2 | 0.2 |')).toBe(true);
  });

  it('quotes CSV cells that hold commas, quotes or line breaks', () => {
    const row = { name: 'say "hi"\nthere', grid: { 'train.optimizer': 'sgd(lr: 0.1, momentum: 0.9)' }, status: 'partial', epochs: 0, seconds: 1.4, final: null, best: null };
    const csv = summaryCsv([row]);
    const body = csv.slice(csv.indexOf('\n') + 1);
    expect(csv.startsWith('run,train.optimizer,status,epochs,seconds,final_train_natural,')).toBe(true);
    expect(body).toBe(`"say ""hi""\nthere","sgd(lr: 0.1, momentum: 0.9)",partial,0,1${','.repeat(13)}\n`);
  });
});

describe('sweep report', () => {
  it('report.html inlines the summary and the figures', async () => {
    const { writeSweepSummary } = await import('../../src/sweep/sweep.js');
    const { readFileSync } = await import('node:fs');
    const out = makeTempDir('matc-sweep-rep-').dir;
    const { points } = planSweep([FILE], ['data.label_noise=0,1'], []);
    points.forEach((p, i) => fakeRun(join(out, p.name), p.overrides, [record(1, 0.5 - 0.2 * i, 0.3, true)], []));
    writeSweepSummary(out, points.map((point) => ({ point, dir: join(out, point.name), status: 'done' as const })));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/summary\.txt/);
    expect(html).toMatch(/rl_pgd_cnn__data\.label_noise=1/);
    expect(html.match(/<svg/g)!.length).toBe(2); // train accuracy, gap vs label noise
  });
});
