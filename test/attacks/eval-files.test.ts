/**
 * The files of `matc eval` (no GPU): finding checkpoints and the recorded pipeline, the resume
 * guard of the per-example record, the EvalSummary written for `matc report`, and the tables.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkFile } from '../../src/check/index.js';
import { saveModel } from '../../src/io/checkpoint.js';
import { summaryProblem } from '../../src/report/eval-summary.js';
import { evalTargets, recordedPipeline, weightsIdentity, EvalTargetError } from '../../src/eval/targets.js';
import { loadRecordForResume, newRecord, saveRecord, EvalRecordError, type EvalRecord } from '../../src/eval/record.js';
import { summaryOf } from '../../src/cli/commands/eval.js';
import { bestFinalTable, checkpointTable } from '../../src/eval/table.js';

const pipeline = checkFile('pipelines/quickstart/pgd_at.mat').pipeline!;

async function checkpoint(path: string, metadata: Record<string, string>): Promise<void> {
  const values = new Map(pipeline.model.stateDict.map((s) => [`model/${s.name}`, new Float32Array(s.shape.reduce((a, b) => a * b, 1))]));
  const store = {
    read: async (n: string) => values.get(n)!,
    write: () => {},
    has: (n: string) => values.has(n),
  };
  await saveModel(path, pipeline.model, store, metadata);
}

function record(accuracies: Record<string, number>, kind = 'best'): EvalRecord {
  const r = newRecord(kind, { norm: 'linf', eps: 0.1, seed: 0, n: 4, weights: 'w' });
  for (const [label, accuracy] of Object.entries(accuracies)) {
    r.attacks[label] = { id: label.toLowerCase(), label, stages: [], accuracy, n: 4, complete: true, robust: [1, 0, 1, 0], done: {}, broken: {}, seconds: 1.5 };
  }
  return r;
}

describe('matc eval files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'matc-eval-'));

  it('a run directory gives its best and final checkpoints; the pipeline comes from the metadata', async () => {
    const run = join(dir, 'run');
    mkdirSync(run);
    await checkpoint(join(run, 'model-best.safetensors'), { pipeline: 'quickstart_pgd_at' });
    await checkpoint(join(run, 'model-final.safetensors'), { pipeline: 'quickstart_pgd_at' });
    expect(evalTargets(run).map((t) => t.kind)).toEqual(['best', 'final']);
    expect(resolve(await recordedPipeline(join(run, 'model-best.safetensors'), run))).toBe(resolve('pipelines/quickstart/pgd_at.mat'));
    expect(weightsIdentity(join(run, 'model-best.safetensors'))).toMatch(/^sha256:/);
    expect(() => evalTargets(join(dir, 'missing'))).toThrow(EvalTargetError);
  });

  it('a checkpoint without a recorded pipeline asks for --pipeline', async () => {
    const path = join(dir, 'foreign.safetensors');
    await checkpoint(path, {});
    await expect(recordedPipeline(path)).rejects.toThrow(/--pipeline/);
  });

  it('a record resumes only onto the same settings and weights', () => {
    const path = join(dir, 'r.json');
    const settings = { norm: 'linf' as const, eps: 0.1, seed: 0, n: 4, weights: 'w' };
    expect(loadRecordForResume(path, settings)).toBeNull();
    saveRecord(path, newRecord('x', settings));
    expect(loadRecordForResume(path, settings)?.settings).toEqual(settings);
    expect(() => loadRecordForResume(path, { ...settings, eps: 0.2 })).toThrow(EvalRecordError);
    expect(() => loadRecordForResume(path, { ...settings, weights: 'v' })).toThrow(/weights/);
    writeFileSync(path, '{');
    expect(() => loadRecordForResume(path, settings)).toThrow(EvalRecordError);
  });

  it('a damaged record is refused, naming the field, instead of being trusted', () => {
    const path = join(dir, 'damaged.json');
    const settings = { norm: 'linf' as const, eps: 0.1, seed: 0, n: 4, weights: 'w' };
    const good = record({ Natural: 0.5 });
    saveRecord(path, good);
    expect(loadRecordForResume(path, settings)?.attacks['Natural']?.robust).toEqual(good.attacks['Natural']!.robust);
    const damaged = (edit: (r: any) => void) => {
      const r = JSON.parse(JSON.stringify(good));
      edit(r);
      writeFileSync(path, JSON.stringify(r));
      return () => loadRecordForResume(path, settings);
    };
    expect(damaged((r) => { r.attacks.Natural.robust[2] = 7; })).toThrow(/damaged\.json: not a valid evaluation record \(attacks\.Natural\.robust\.2: /);
    expect(damaged((r) => { delete r.sanity; })).toThrow(/\(sanity: /);
    expect(damaged((r) => { r.settings.norm = 'l1'; })).toThrow(/settings\.norm/);
    expect(damaged((r) => { r.attacks.Natural.robust.pop(); })).toThrow(/attack Natural has flags for other than the 4 examples/);
    expect(damaged((r) => { r.format = 'matc-eval/0'; })).toThrow(/format 'matc-eval\/0'/);
  });

  it('writes a valid EvalSummary keyed by attack id with the label as title', () => {
    const s = summaryOf('best', record({ Natural: 0.5, 'PGD-10': 0.25 }));
    expect(summaryProblem(s)).toBeUndefined();
    expect(s.attacks).toEqual({ natural: { accuracy: 0.5, n: 4, title: 'Natural' }, 'pgd-10': { accuracy: 0.25, n: 4, title: 'PGD-10' } });
  });

  it('prints Best / Final / Diff', () => {
    const table = bestFinalTable(record({ Natural: 0.5, 'PGD-10': 0.25 }), record({ Natural: 0.75, 'PGD-10': 0 }, 'final'));
    expect(table.split('\n')).toEqual([
      'test acc (%)     Best    Final     Diff',
      'Natural         50.00    75.00   -25.00',
      'PGD-10          25.00     0.00    25.00',
    ]);
    expect(checkpointTable(record({ Natural: 0.5 }))).toContain('50.00');
  });
});

describe('chunk sizes', () => {
  it('full batches, then the next power of two (at least 16) above what remains', async () => {
    const { chunkSize } = await import('../../src/eval/evaluate.js');
    expect([1000, 500, 300, 90, 17, 16, 3].map((r) => chunkSize(r, 500))).toEqual([500, 500, 500, 128, 32, 16, 16]);
    expect(chunkSize(5, 8)).toBe(8);
  });
});
