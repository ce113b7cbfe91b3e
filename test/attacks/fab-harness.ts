/**
 * What the L-inf and L2 FAB-T tests share: a linear model's own predictions as labels, and FAB-T
 * run as AutoAttack does (one pass per target class, ranked by the natural logits, each on the
 * examples still robust).
 */
import { sharedTestRuntime } from '../helpers/gpu.js';
import { RobustEvaluator } from '../../src/attacks/robust-eval.js';
import { Fab, type FabSettings } from '../../src/attacks/fab.js';
import { writeRobust } from '../../src/attacks/batch.js';
import { rankedClasses } from '../../src/eval/stages.js';
import { linearClassifier, logitsOf, type LinearModel } from './models.js';

/** argmax of the model's logits for each of the `count` rows of x. */
export function predictedLabels(m: LinearModel, x: Float32Array, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => {
    const z = logitsOf(m, x, i * m.dims);
    return z.indexOf(Math.max(...z));
  });
}

/** FAB-T over all classes - 1 targets on the batch (x, y); returns the final robust flags. */
export async function fabTargeted(m: LinearModel, shape: number[], x: Float32Array, y: Int32Array, settings: FabSettings): Promise<Uint8Array> {
  const rt = await sharedTestRuntime();
  const b = y.length;
  const evaluator = new RobustEvaluator(rt, linearClassifier(m), shape, 1);
  evaluator.setBatch(b, x, y, Int32Array.from({ length: b }, (_, i) => i));
  const logits = await evaluator.naturalLogits(b);
  const fab = new Fab(rt, linearClassifier(m), shape);
  let robust: Uint8Array = new Uint8Array(b).fill(1);
  for (let t = 0; t < m.classes - 1; t++) {
    writeRobust(rt, shape, b, robust);
    robust = await fab.run(b, settings, rankedClasses(logits, b, m.classes, t + 2));
  }
  return robust;
}
