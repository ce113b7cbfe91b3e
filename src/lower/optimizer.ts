/**
 * Optimizers as graph updates: the new parameter and state values are computed on the GPU and
 * assigned in the same program as the gradients, so an update never leaves the device.
 * Semantics follow torch.optim exactly (L2 weight decay added to the gradient; SGD momentum
 * buffer starts at zero, which equals PyTorch's first-step `buf = d_p` with dampening 0).
 */
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { PipelineSettings } from '../check/settings.js';

export type OptimizerSettings = PipelineSettings['train']['optimizer'];

/** Host-fed scalars an update reads (one-number variables). */
export const LR_VARIABLE = 'train/lr';
export const ADAM_BIAS1_VARIABLE = 'train/adam_bias1';
export const ADAM_BIAS2_VARIABLE = 'train/adam_bias2';

export function optimizerStateName(param: string, slot: string): string {
  return `opt/${param}/${slot}`;
}

/** Names of the optimizer state variables of one parameter (for checkpoints). */
export function optimizerSlots(settings: OptimizerSettings): string[] {
  if (settings.kind === 'adam') return ['exp_avg', 'exp_avg_sq'];
  return (settings as { momentum: number }).momentum > 0 ? ['momentum_buffer'] : [];
}

export function applyOptimizer(graph: Graph, settings: OptimizerSettings, params: { name: string; tensor: Tensor }[], grads: Tensor[]): void {
  const lr = graph.variable(LR_VARIABLE, []);
  if (settings.kind === 'adam') {
    const s = settings as { beta1: number; beta2: number; eps: number; weight_decay: number };
    const bias1 = graph.variable(ADAM_BIAS1_VARIABLE, []);
    const bias2 = graph.variable(ADAM_BIAS2_VARIABLE, []);
    params.forEach(({ name, tensor: p }, i) => {
      let g = grads[i]!;
      if (s.weight_decay) g = g.add(p.mul(s.weight_decay));
      const m = graph.variable(optimizerStateName(name, 'exp_avg'), p.shape);
      const v = graph.variable(optimizerStateName(name, 'exp_avg_sq'), p.shape);
      const m2 = m.mul(s.beta1).add(g.mul(1 - s.beta1));
      const v2 = v.mul(s.beta2).add(g.square().mul(1 - s.beta2));
      // p -= lr * (m / bias1) / (sqrt(v / bias2) + eps), as torch.optim.Adam.
      const update = m2.div(bias1).div(v2.div(bias2).sqrt().add(s.eps));
      graph.assign(m, m2);
      graph.assign(v, v2);
      graph.assign(p, p.sub(update.mul(lr)));
    });
    return;
  }
  const s = settings as { momentum: number; weight_decay: number; nesterov: boolean };
  params.forEach(({ name, tensor: p }, i) => {
    let d = grads[i]!;
    if (s.weight_decay) d = d.add(p.mul(s.weight_decay));
    if (s.momentum > 0) {
      const buf = graph.variable(optimizerStateName(name, 'momentum_buffer'), p.shape);
      const buf2 = buf.mul(s.momentum).add(d);
      graph.assign(buf, buf2);
      d = s.nesterov ? d.add(buf2.mul(s.momentum)) : buf2;
    }
    graph.assign(p, p.sub(d.mul(lr)));
  });
}
