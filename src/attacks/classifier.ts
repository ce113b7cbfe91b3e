/**
 * What an evaluation attack needs of a model: a function that appends the logits of a batch to a
 * graph. Pipelines' models run in eval mode (BN on running statistics) on the weights in the
 * runtime's variables `model/<pytorch name>`; tests pass hand-built classifiers (linear models,
 * models with masked gradients).
 */
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { ResolvedModel } from '../check/resolved.js';
import { ModelLowering } from '../lower/model.js';

export type Classifier = (g: Graph, x: Tensor) => Tensor;

export function evalClassifier(model: ResolvedModel | Classifier): Classifier {
  if (typeof model === 'function') return model;
  return (g, x) => new ModelLowering(model, g).apply(x, 'eval');
}
