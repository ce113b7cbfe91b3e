/**
 * Every point of a sweep is checked before any run starts, with the same checker and zod overrides
 * as `matc run --set`, so a misspelt grid key or a bad value fails in a second, not after hours.
 */
import { checkFile, formatDiagnostics, type ResolvedPipeline } from '../check/index.js';
import type { SweepPoint } from './grid.js';

export class SweepValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepValidationError';
  }
}

export interface CheckedPoint extends SweepPoint {
  pipeline: ResolvedPipeline;
}

/** Resolve each point's pipeline; all problems are collected into one error naming the runs. */
export function checkPoints(points: readonly SweepPoint[]): CheckedPoint[] {
  const problems: string[] = [];
  const checked: CheckedPoint[] = [];
  // Points differing only in a value share their diagnostics; report each distinct text once.
  const seen = new Set<string>();
  for (const point of points) {
    const result = checkFile(point.file, { overrides: point.overrides });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length || !result.pipeline) {
      const text = errors.length ? formatDiagnostics(errors, result.sources) : `${point.file}: defines no pipeline`;
      if (!seen.has(text)) problems.push(`sweep run ${point.name} (${point.overrides.join(' ') || 'no overrides'}):\n${text}`);
      seen.add(text);
      continue;
    }
    checked.push({ ...point, pipeline: result.pipeline });
  }
  if (problems.length) throw new SweepValidationError(`${problems.join('\n\n')}\nsweep: nothing was run`);
  return checked;
}
