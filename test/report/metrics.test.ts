import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendRecord, keepRecordsThrough, MetricsError, parseRecords, readRecords, recordLine, type EpochRecord } from '../../src/io/metrics.js';
import { record } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'matc-metrics-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;
const newRunDir = () => join(root, `run${++runs}`);

function collectWarnings(): { warn: (m: string) => void; messages: string[] } {
  const messages: string[] = [];
  return { warn: (m) => messages.push(m), messages };
}

describe('metrics log', () => {
  it('appends one JSON line per epoch with the documented snake_case fields, and reads them back', () => {
    const dir = newRunDir();
    const records = [record(1), record(2, { is_best: true, te_weight: 4.5 }), record(3, { train_robust_acc: null, test_robust_acc: null, eval: {} })];
    for (const r of records) appendRecord(dir, r);
    const text = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(Object.keys(JSON.parse(lines[1]!))).toEqual([
      'epoch', 'step', 'lr', 'schedules', 'train_loss', 'train_natural_acc', 'train_robust_acc',
      'test_natural_acc', 'test_robust_acc', 'eval', 'seconds', 'is_best', 'te_weight',
    ]);
    expect(readRecords(dir)).toEqual(records);
  });

  it('returns no records when there is no log yet', () => {
    expect(readRecords(newRunDir())).toEqual([]);
  });

  it('ignores a truncated last line (a kill mid-write) with a warning', () => {
    const dir = newRunDir();
    appendRecord(dir, record(1));
    appendRecord(dir, record(2));
    const partial = recordLine(record(3)).slice(0, 57);
    appendFileSync(join(dir, 'metrics.jsonl'), partial);
    const w = collectWarnings();
    const got = readRecords(dir, { warn: w.warn });
    expect(got.map((r) => r.epoch)).toEqual([1, 2]);
    expect(w.messages).toHaveLength(1);
    expect(w.messages[0]).toMatch(/metrics\.jsonl: ignoring the incomplete last line 3 \(not JSON/);
  });

  it('removes the partial line before the next append, so the log stays valid', () => {
    const dir = newRunDir();
    appendRecord(dir, record(1));
    appendFileSync(join(dir, 'metrics.jsonl'), '{"epoch": 2, "st');
    const w = collectWarnings();
    appendRecord(dir, record(2), { warn: w.warn });
    expect(w.messages[0]).toMatch(/removing the incomplete last line/);
    const again = collectWarnings();
    expect(readRecords(dir, { warn: again.warn }).map((r) => r.epoch)).toEqual([1, 2]);
    expect(again.messages).toEqual([]);
  });

  it('keeps a complete last record that only lacks its newline', () => {
    const dir = newRunDir();
    appendRecord(dir, record(1));
    appendFileSync(join(dir, 'metrics.jsonl'), JSON.stringify(record(2)));
    expect(readRecords(dir).map((r) => r.epoch)).toEqual([1, 2]);
    appendRecord(dir, record(3));
    expect(readRecords(dir).map((r) => r.epoch)).toEqual([1, 2, 3]);
  });

  it('rejects a corrupt line that is not the last', () => {
    const text = recordLine(record(1)) + '{"epoch": oops}\n' + recordLine(record(3));
    expect(() => parseRecords(text, 'runs/x/metrics.jsonl')).toThrow(MetricsError);
    expect(() => parseRecords(text, 'runs/x/metrics.jsonl')).toThrow(/^runs\/x\/metrics\.jsonl: line 2: not JSON/);
  });

  it('validates field types, naming the field', () => {
    const bad = { ...record(1), test_robust_acc: '0.5' };
    expect(() => parseRecords(JSON.stringify(bad) + '\n', 'm.jsonl')).toThrow(/line 1: field test_robust_acc is "0.5", expected a number or null/);
    const { seconds: _, ...missing } = record(1);
    expect(() => parseRecords(JSON.stringify(missing) + '\n', 'm.jsonl')).toThrow(/missing field seconds/);
    expect(() => recordLine({ ...record(1), epoch: 0 })).toThrow(/field epoch is 0, expected an integer >= 1/);
  });

  it('writes a diverged loss (NaN) as null and reads it back as NaN; allows unknown fields', () => {
    const line = recordLine(record(1, { train_loss: NaN }));
    expect(JSON.parse(line).train_loss).toBeNull();
    const withExtra = JSON.stringify({ ...JSON.parse(line), future_field: [1, 2] }) + '\n';
    const [r] = parseRecords(withExtra, 'm.jsonl');
    expect(r!.train_loss).toBeNaN();
  });

  it('keeps only the epochs a resumed run continues from', async () => {
    const dir = newRunDir();
    for (let e = 1; e <= 5; e++) appendRecord(dir, record(e));
    const kept: EpochRecord[] = await keepRecordsThrough(dir, 3);
    expect(kept.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(readRecords(dir).map((r) => r.epoch)).toEqual([1, 2, 3]);
    appendRecord(dir, record(4));
    expect(readRecords(dir).map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
  });

  it('creates the run directory on the first append', () => {
    const dir = join(newRunDir(), 'nested');
    appendRecord(dir, record(1));
    expect(readRecords(dir)).toHaveLength(1);
    writeFileSync(join(dir, 'metrics.jsonl'), '');
    expect(readRecords(dir)).toEqual([]);
  });
});
