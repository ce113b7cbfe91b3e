/** Helpers shared by gradient rules. */
import type { Shape } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';

/**
 * Sum a broadcast gradient back to the shape of the input it came from:
 * leading axes the input did not have, and axes where the input had size 1.
 */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  const gs = g.shape;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return g;
  const lead = gs.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < gs.length; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && gs[i] !== 1) axes.push(i);
  }
  let r = axes.length ? g.sum(axes, true) : g;
  if (lead > 0 || r.shape.length !== shape.length) r = r.reshape([...shape]);
  return r;
}
