/**
 * The perturbation set and the PGD step, shared by the training attacks and the evaluation
 * attacks. Follows the reference code (dongyp13/memorization-AT loss.py, Madry et al.):
 *  - L-inf: x' <- clip01(min(max(x' + a * sign(g), x - eps), x + eps));
 *  - L2:    x' <- clip01(x + renorm_eps(x' - x + a * g / (||g|| + 1e-10)));
 *  - starts: uniform in the L-inf ball, or x + std * N(0, 1); neither is clipped to [0, 1] before
 *    the first gradient (the reference clips only after each step).
 * The state is delta = x' - x; the input the model sees is x + delta.
 */
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { PerturbationBall, AttackStart } from '../check/resolved.js';
import { uniformLike, normalLike, type RandomKey } from '../ops/random.js';

/** The first iterate's delta. */
export function initialDelta(g: Graph, shape: readonly number[], ball: PerturbationBall, start: AttackStart, key: RandomKey): Tensor {
  switch (start.kind) {
    case 'none':
      return g.constant(0, shape);
    case 'normal':
      return normalLike(g, shape, { ...key, mean: 0, std: start.std });
    case 'uniform':
      if (ball.norm === 'linf') return uniformLike(g, shape, { ...key, low: -ball.eps, high: ball.eps });
      // L2 uniform start: the reference starts L2 attacks from 0.001 * N(0, 1).
      return normalLike(g, shape, { ...key, mean: 0, std: 0.001 });
  }
}

/** Per-example L2 norm of a [B, ...] tensor, as [B, 1, ..., 1]. */
export function exampleNorm(t: Tensor): Tensor {
  const axes = Array.from({ length: t.rank - 1 }, (_, i) => i + 1);
  return t.square().sum(axes, true).sqrt();
}

/** One projected step: returns the new delta. `gradient` is d objective / d delta. */
export function pgdStep(x: Tensor, delta: Tensor, gradient: Tensor, ball: PerturbationBall, step: number, rule: 'sign' | 'normalized'): Tensor {
  let adv: Tensor;
  if (ball.norm === 'linf' && rule === 'sign') {
    adv = x.add(delta).add(gradient.sign().mul(step));
    adv = adv.maximum(x.sub(ball.eps)).minimum(x.add(ball.eps));
  } else {
    const direction = rule === 'sign' ? gradient.sign() : gradient.div(exampleNorm(gradient).add(1e-10));
    let d = delta.add(direction.mul(step));
    if (ball.norm === 'l2') {
      // torch.renorm(p=2, maxnorm=eps): scale rows whose norm exceeds eps by eps / (norm + 1e-7).
      const n = exampleNorm(d);
      d = d.mul(n.gt(ball.eps).select(x.graph.constant(ball.eps).div(n.add(1e-7)), 1));
    } else {
      d = d.clamp(-ball.eps, ball.eps);
    }
    adv = x.add(d);
  }
  return adv.clamp(0, 1).sub(x);
}

