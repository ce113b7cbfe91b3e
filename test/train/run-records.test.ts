/**
 * The small JSON files of a run directory are read through zod schemas (src/util/json-file.ts): a
 * file of the wrong shape is an error naming the file (run.json) or counts as absent (a torn lock,
 * a completion record or sweep record that is not one), never a cast over whatever is on disk.
 */
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../data/fixtures.js';
import { readManifest } from '../../src/io/run-manifest.js';
import { readHolder } from '../../src/io/run-lock.js';
import { readCompletion } from '../../src/io/run-complete.js';
import { runState, writeRunRecord } from '../../src/sweep/run-state.js';
import { pipelineOfRun } from '../../src/analysis/run-pipeline-of.js';

describe('run directory records', () => {
  it('run.json of the wrong shape or not JSON is refused, naming the file and the field', () => {
    const dir = makeTempDir('matc-records-').dir;
    const path = join(dir, 'run.json');
    writeFileSync(path, JSON.stringify({ format: 'matc-run-1', pipeline: 'p', file: 'p.mat', pipeline_hash: 'h', seed: '1', settings: {}, started: 'now' }));
    expect(() => readManifest(dir)).toThrow(`${path}: not a matc run manifest (seed: `);
    writeFileSync(path, '{"format": "matc-run-1", ');
    expect(() => readManifest(dir)).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not JSON \\(.*\\); cannot tell what the run was started with$`));
    writeFileSync(path, JSON.stringify({ format: 'matc-run-1', pipeline: 'p', file: 'p.mat', pipeline_hash: 'h', seed: 1, settings: { a: 1 }, started: 'now' }));
    expect(readManifest(dir)).toMatchObject({ pipeline: 'p', seed: 1, settings: { a: 1 } });
  });

  it('a torn lock, a foreign completion record and a bad sweep record count as absent', () => {
    const dir = makeTempDir('matc-records-').dir;
    writeFileSync(join(dir, 'run.lock'), '{"pid": 12');
    expect(readHolder(join(dir, 'run.lock'))).toBeNull();
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: 12, host: 'h', started: 's' }));
    expect(readHolder(join(dir, 'run.lock'))).toEqual({ pid: 12, host: 'h', started: 's' });
    writeFileSync(join(dir, 'run-complete.json'), JSON.stringify({ format: 'matc-run-complete-1', pipeline: 'p', pipeline_hash: 'h', final_epoch: 2.5, best_epoch: null, finished: 'f' }));
    expect(readCompletion(dir)).toBeNull();
    const record = { file: 'p.mat', overrides: ['a=1'] };
    writeFileSync(join(dir, 'sweep-run.json'), JSON.stringify({ file: 'p.mat', overrides: 'a=1' }));
    expect(runState(dir, record, 1)).toBe('fresh');
    expect(() => pipelineOfRun(dir)).toThrow(`${join(dir, 'sweep-run.json')}: not a matc sweep run record (overrides: `);
    writeRunRecord(dir, record);
    writeFileSync(join(dir, 'run-complete.json'), JSON.stringify({ format: 'matc-run-complete-1', pipeline: 'p', pipeline_hash: 'h', final_epoch: 2, best_epoch: null, finished: 'f' }));
    expect(runState(dir, record, 2)).toBe('finished');
  });
});
