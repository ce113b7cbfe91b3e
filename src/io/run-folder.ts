/**
 * What a run may do to its directory before it writes anything: `--out` must be a directory (or
 * not exist yet), and a fresh run may only replace what matc itself writes there. A directory
 * holding anything else is refused, so a mistyped `--out` never deletes a user's files and a
 * fresh run never leaves an earlier run's files (eval/*.json, report.html) to be read as its own.
 */
import { mkdirSync, readdirSync, rmSync, statSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES } from './run-dir.js';

/** A refusal about the run directory: a clear message for the user, nothing was changed. */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

/** Files a run replaces when it starts afresh (the sweep's own record and log stay: the sweep wrote them for this run). */
const REPLACED = [RUN_FILES.metrics, RUN_FILES.modelBest, RUN_FILES.modelFinal, RUN_FILES.resume, RUN_FILES.report, RUN_FILES.manifest, RUN_FILES.complete];
const KEPT = [RUN_FILES.lock, RUN_FILES.sweepRecord, RUN_FILES.sweepLog];
/** What `matc eval` writes into the run's eval/ directory. */
const EVAL_FILES = ['best.json', 'final.json', 'best.record.json', 'final.record.json'];

/** `name` or a temporary file an interrupted atomic write left beside it (`name.tmp-<pid>[-<hex>]`). */
function isFileOrLeftover(entry: string, names: readonly string[]): boolean {
  return names.some((n) => entry === n || new RegExp(`^${n.replace(/[.]/g, '\\.')}\\.tmp-\\d+(-[0-9a-f]+)?$`).test(entry));
}

/** Create `dir` (and its parents); an `--out` that names a file is the user's mistake, said plainly. */
export function ensureRunDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new RunDirError(`--out ${dir}: ${code === 'EEXIST' ? 'is a file, not a directory' : 'a part of the path is a file, not a directory'}; choose a directory for the run`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new RunDirError(`--out ${dir}: cannot create the run directory (${code}: permission denied or read-only file system)`);
    throw e;
  }
  if (!statSync(dir).isDirectory()) throw new RunDirError(`--out ${dir}: is not a directory`);
}

/** Entries of the run directory that matc did not write (eval/ entries as `eval/<name>`). */
export function foreignEntries(dir: string): string[] {
  const foreign: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === RUN_FILES.evalDir && entry.isDirectory()) {
      for (const e of readdirSync(join(dir, entry.name), { withFileTypes: true })) {
        if (!e.isFile() || !isFileOrLeftover(e.name, EVAL_FILES)) foreign.push(`${entry.name}/${e.name}`);
      }
    } else if (!entry.isFile() || !isFileOrLeftover(entry.name, [...REPLACED, ...KEPT])) foreign.push(entry.name);
  }
  return foreign.sort();
}

/**
 * Prepare `dir` for a fresh run: refuse if it holds anything matc did not write, otherwise remove
 * the earlier run's files (log, checkpoints, evaluations, report, manifest, completion record).
 */
export function clearForFreshRun(dir: string): void {
  const foreign = foreignEntries(dir);
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, ... (${foreign.length} in all)` : '');
    throw new RunDirError(`--out ${dir} holds files that matc run did not write (${shown}); a fresh run replaces the directory's contents, so it refuses. Choose another --out, move those files away, or add --resume to continue the run there`);
  }
  for (const entry of readdirSync(dir)) {
    if (isFileOrLeftover(entry, REPLACED) || (entry !== RUN_FILES.lock && isFileOrLeftover(entry, KEPT) && entry.includes('.tmp-'))) rmSync(join(dir, entry), { force: true });
  }
  const evalDir = join(dir, RUN_FILES.evalDir);
  try {
    for (const e of readdirSync(evalDir)) rmSync(join(evalDir, e), { force: true });
    rmdirSync(evalDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
