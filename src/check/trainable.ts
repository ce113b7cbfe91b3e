/**
 * Layers a pipeline cannot train (the table entry's `trainingProblem`, e.g. dropout with p > 0),
 * reported where each is written, whether declared as a layer or called as a function in `forward`.
 * Every pipeline minimizes its objective in train mode, so this runs for every pipeline model.
 */
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { isLeafKind, layerKinds } from '../layers/index.js';
import type { ResolvedLayer } from './resolved.js';

export function untrainableLayers(layer: ResolvedLayer, where: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  const visit = (l: ResolvedLayer): void => {
    if (isLeafKind(l.kind)) {
      const problem = layerKinds[l.kind].trainingProblem?.(l.hyper);
      if (problem) found.push(diagnostic('notTrainable', l.span, { message: problem.message }, `${problem.hint ?? ''} (layer \`${l.path || l.kind}\` of ${where})`.trim()));
    }
    for (const step of l.forward?.steps ?? []) {
      if (!isLeafKind(step.op) || !('hyper' in step)) continue;
      const problem = layerKinds[step.op].trainingProblem?.(step.hyper);
      if (problem) found.push(diagnostic('notTrainable', step.span, { message: problem.message }, `${problem.hint ?? ''} (in \`${l.definition ?? l.path}\` of ${where})`.trim()));
    }
    l.children.forEach(visit);
  };
  visit(layer);
  return found;
}
