/**
 * What `matc eval` evaluates: a checkpoint file, or a run directory's best and final checkpoints,
 * with the pipeline that defines the model and the data. Without --pipeline, the pipeline is found
 * by the name the checkpoint's metadata records (`pipeline`), in the run directory or the standard library.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { standardLibraryDir } from '../check/index.js';
import { readModelFile } from '../io/model-file.js';
import { runPath } from '../io/run-dir.js';
import type { CheckpointKind } from '../report/eval-summary.js';

export interface EvalTarget {
  /** 'best' | 'final' inside a run directory; undefined for a lone checkpoint. */
  kind?: CheckpointKind;
  path: string;
}

export class EvalTargetError extends Error {}

export function isRunDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** The checkpoints to evaluate: a file, or a run directory's model-best and model-final. */
export function evalTargets(path: string): EvalTarget[] {
  if (!existsSync(path)) throw new EvalTargetError(`${path}: no such file or directory`);
  if (!isRunDirectory(path)) return [{ path }];
  const targets: EvalTarget[] = [];
  for (const kind of ['best', 'final'] as const) {
    const file = runPath(path, kind === 'best' ? 'modelBest' : 'modelFinal');
    if (existsSync(file)) targets.push({ kind, path: file });
  }
  if (!targets.length) throw new EvalTargetError(`${path}: no model-best.safetensors or model-final.safetensors (is it a run directory?)`);
  return targets;
}

/** A stable identity of the weights (content hash), so a record never resumes onto other weights. */
export function weightsIdentity(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`;
}

/** The .mat file defining the pipeline a checkpoint was trained with, from its metadata (a PyTorch checkpoint has none). */
export async function recordedPipeline(checkpoint: string, runDir?: string): Promise<string> {
  const name = (await readModelFile(checkpoint)).metadata['pipeline'];
  if (!name) throw new EvalTargetError(`${checkpoint} does not record its pipeline; pass --pipeline FILE`);
  const places = [...(runDir ? [runDir] : []), standardLibraryDir()];
  const pattern = new RegExp(`\\bpipeline\\s+${name.replace(/[^\w]/g, '')}\\b`);
  for (const dir of places) {
    const found = findMatFile(dir, pattern, runDir === dir ? 0 : 3);
    if (found) return found;
  }
  throw new EvalTargetError(`${checkpoint} was trained with pipeline '${name}', which is not in ${places.join(' or ')}; pass --pipeline FILE`);
}

function findMatFile(dir: string, pattern: RegExp, depth: number): string | undefined {
  if (!existsSync(dir)) return undefined;
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isFile() && e.name.endsWith('.mat') && pattern.test(readFileSync(path, 'utf8'))) return path;
  }
  if (depth === 0) return undefined;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const found = findMatFile(join(dir, e.name), pattern, depth - 1);
    if (found) return found;
  }
  return undefined;
}
