/**
 * The metrics log: `metrics.jsonl` in the run directory, one JSON object per line, one line per
 * epoch. Field names are snake_case and stable (docs/metrics.md documents each), so that scripts
 * and notebooks can read logs of any matc version with `pandas.read_json(path, lines=True)`.
 *
 * A run may be killed at any moment, also in the middle of writing a line. Each record is one
 * write followed by fsync; a partial last line is ignored (with a warning) by readers and removed
 * before the next append, so the log never holds a corrupt line in its middle.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { writeBytesAtomic } from './atomic-write.js';
import { runPath } from './run-dir.js';

/** One epoch of training. Accuracies are fractions in [0, 1]. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Optimizer steps completed at the end of the epoch. */
  step: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Value of every `schedule` of the pipeline at the epoch's last step, by name. */
  schedules: Record<string, number>;
  /** Mean training objective over the epoch's batches. */
  train_loss: number;
  /** Accuracy on the clean (augmented) training batches, eval mode, before each batch's update. */
  train_natural_acc: number;
  /** Accuracy on the training attack's adversarial examples (the logits the outer loss sees, train mode); null without an attack. */
  train_robust_acc: number | null;
  /** Test accuracy on clean inputs; null when no evaluation ran this epoch. */
  test_natural_acc: number | null;
  /** Test accuracy under the selection attack (`select`); null when there is none or no evaluation ran. */
  test_robust_acc: number | null;
  /** Every evaluation attack's accuracy this epoch, by attack label (`natural`, `pgd`, ...); {} when none ran. */
  eval: Record<string, number>;
  /** How many test examples the evaluation ran on (every attack of `eval`); absent when none ran, and in older logs. */
  eval_n?: number;
  /** Wall time of the epoch in seconds, training and evaluation. */
  seconds: number;
  /** True if this epoch's weights were saved as model-best.safetensors. */
  is_best: boolean;
  /** The temporal-ensembling weight w of the epoch, for TE pipelines. */
  te_weight?: number;
  /** Mean over the epoch's steps of the squared global gradient norm (only when requested). */
  grad_norm_sq?: number;
}

/** A metrics log that cannot be read; the message names the file and line. */
export class MetricsError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'MetricsError';
  }
}

// ---------------------------------------------------------------- validation

type FieldCheck = (v: unknown) => boolean;
const finiteOrNull: FieldCheck = (v) => v === null || (typeof v === 'number' && Number.isFinite(v));
/** JSON has no NaN or Infinity: a diverged loss is written as null and read back as NaN. */
const numberOrNonFinite: FieldCheck = (v) => v === null || typeof v === 'number';
const count: FieldCheck = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const numberMap: FieldCheck = (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x === 'number');

const fieldChecks: Record<keyof EpochRecord, [check: FieldCheck, expected: string, optional?: boolean]> = {
  epoch: [(v) => count(v) && (v as number) >= 1, 'an integer >= 1'],
  step: [count, 'a non-negative integer'],
  lr: [numberOrNonFinite, 'a number'],
  schedules: [numberMap, 'an object of numbers'],
  train_loss: [numberOrNonFinite, 'a number'],
  train_natural_acc: [numberOrNonFinite, 'a number'],
  train_robust_acc: [finiteOrNull, 'a number or null'],
  test_natural_acc: [finiteOrNull, 'a number or null'],
  test_robust_acc: [finiteOrNull, 'a number or null'],
  eval: [numberMap, 'an object of numbers'],
  seconds: [(v) => typeof v === 'number' && v >= 0, 'a non-negative number'],
  is_best: [(v) => typeof v === 'boolean', 'true or false'],
  te_weight: [numberOrNonFinite, 'a number', true],
  grad_norm_sq: [numberOrNonFinite, 'a number', true],
  eval_n: [count, 'a non-negative integer', true],
};

/** What is wrong with a parsed line, or undefined if it is a valid record. Unknown fields are allowed (newer versions). */
export function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  for (const [field, [check, expected, optional]] of Object.entries(fieldChecks)) {
    if (!(field in r)) {
      if (!optional) return `missing field ${field}`;
    } else if (!check(r[field])) return `field ${field} is ${JSON.stringify(r[field])}, expected ${expected}`;
  }
  return undefined;
}

const nanIfNull = (v: unknown): number => (v === null ? NaN : (v as number));

function fromJson(value: Record<string, unknown>): EpochRecord {
  const r = { ...value } as unknown as EpochRecord;
  r.lr = nanIfNull(value.lr);
  r.train_loss = nanIfNull(value.train_loss);
  r.train_natural_acc = nanIfNull(value.train_natural_acc);
  if ('te_weight' in value) r.te_weight = nanIfNull(value.te_weight);
  return r;
}

// ---------------------------------------------------------------- reading

export interface ReadOptions {
  /** Where warnings go (a truncated last line); default: stderr. */
  warn?: (message: string) => void;
}

const defaultWarn = (message: string): void => {
  process.stderr.write(`matc: warning: ${message}\n`);
};

function parseLine(line: string): { record?: EpochRecord; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { problem: `not JSON (${(e as Error).message})` };
  }
  const problem = recordProblem(value);
  return problem ? { problem } : { record: fromJson(value as Record<string, unknown>) };
}

/**
 * Parse a log's text. A last line without its newline that does not parse is a write cut short by
 * a kill: it is skipped with a warning. Any other bad line is an error.
 */
export function parseRecords(text: string, path: string, options: ReadOptions = {}): EpochRecord[] {
  const lines = text.split('\n');
  const records: EpochRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const { record, problem } = parseLine(line);
    if (record) records.push(record);
    else if (i === lines.length - 1) (options.warn ?? defaultWarn)(`${path}: ignoring the incomplete last line ${i + 1} (${problem}); the run was probably stopped while writing it`);
    else throw new MetricsError(path, `line ${i + 1}: ${problem}`);
  });
  return records;
}

/** The records of a run directory's log, in file order; [] if there is no log yet. */
export function readRecords(runDir: string, options: ReadOptions = {}): EpochRecord[] {
  const path = runPath(runDir, 'metrics');
  if (!existsSync(path)) return [];
  return parseRecords(readFileSync(path, 'utf8'), path, options);
}

// ---------------------------------------------------------------- writing

/** One record as one line of JSON (non-finite numbers become null, as JSON requires). */
export function recordLine(record: EpochRecord): string {
  const problem = recordProblem(JSON.parse(JSON.stringify(record)));
  if (problem) throw new Error(`invalid metrics record for epoch ${record.epoch}: ${problem}`);
  return JSON.stringify(record) + '\n';
}

/**
 * Make the log end with a complete line: a partial last line (a kill mid-write) is dropped, or
 * completed with its newline if it happens to be a whole record.
 */
function repairTail(path: string, warn: (message: string) => void): void {
  if (!existsSync(path) || statSync(path).size === 0) return;
  const text = readFileSync(path, 'utf8');
  if (text.endsWith('\n')) return;
  const lastStart = text.lastIndexOf('\n') + 1;
  const last = text.slice(lastStart);
  if (parseLine(last).record) {
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return;
  }
  warn(`${path}: removing the incomplete last line left by an interrupted write`);
  truncateSync(path, Buffer.byteLength(text.slice(0, lastStart), 'utf8'));
}

/** Append one record to the run directory's log (created if needed) and flush it to disk. */
export function appendRecord(runDir: string, record: EpochRecord, options: ReadOptions = {}): void {
  const line = recordLine(record);
  mkdirSync(runDir, { recursive: true });
  const path = runPath(runDir, 'metrics');
  repairTail(path, options.warn ?? defaultWarn);
  const fd = openSync(path, 'a');
  try {
    // One write call per line: with O_APPEND a reader never sees two records interleaved.
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Keep the records of epochs 1..`epoch` only (atomically). A resumed run calls this first: the
 * log may hold epochs that finished after the training state it resumes from was saved.
 */
export async function keepRecordsThrough(runDir: string, epoch: number, options: ReadOptions = {}): Promise<EpochRecord[]> {
  const kept = readRecords(runDir, options).filter((r) => r.epoch <= epoch);
  await writeBytesAtomic(runPath(runDir, 'metrics'), kept.map(recordLine).join(''));
  return kept;
}
