/**
 * Lowers a resolved model (the checker's layer tree) to graph ops. Every state_dict entry becomes
 * a runtime variable named `model/<pytorch name>`, so checkpoints map one-to-one onto PyTorch.
 *
 * A ModelLowering belongs to one graph. It may apply the model several times in that graph (TRADES
 * runs it on x and on x_adv in train mode): batch-norm running statistics are chained through the
 * applications in order, exactly as consecutive PyTorch forward calls update them, and written back
 * once by `finish()`.
 */
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { batchNorm } from '../ops/batchnorm.js';
import type { ResolvedLayer, ResolvedModel, ForwardStep, TensorSpec } from '../check/resolved.js';
import { forwardArithmetic, layerKinds, type LayerLowering, type ModelMode } from '../layers/index.js';
import { InternalError } from '../util/internal-error.js';

export type { ModelMode } from '../layers/index.js';

export const MODEL_PREFIX = 'model/';

export function modelVariableName(stateDictName: string): string {
  return MODEL_PREFIX + stateDictName;
}

interface RunningStats {
  mean: Tensor;
  var: Tensor;
  count?: Tensor;
}

export class ModelLowering {
  private readonly running = new Map<string, RunningStats>();
  private finished = false;

  constructor(
    readonly model: ResolvedModel,
    readonly graph: Graph,
  ) {}

  /** The variable of a state_dict entry. */
  variable(spec: TensorSpec): Tensor {
    return this.graph.variable(modelVariableName(spec.name), [...spec.shape], 'f32');
  }

  /** Trainable parameters, in state_dict order. */
  parameters(): { name: string; tensor: Tensor }[] {
    return this.model.stateDict.filter((s) => s.trainable).map((s) => ({ name: s.name, tensor: this.variable(s) }));
  }

  /** Apply the model to a batch `x` of shape [B, ...inputShape]; returns logits [B, classes]. */
  apply(x: Tensor, mode: ModelMode): Tensor {
    if (this.finished) throw new InternalError('ModelLowering.apply after finish()');
    return this.layer(this.model.root, x, mode);
  }

  /** Record the running-statistics updates of all train-mode applications. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const [path, stats] of this.running) {
      this.graph.assign(this.graph.variable(modelVariableName(`${path}running_mean`), stats.mean.shape), stats.mean);
      this.graph.assign(this.graph.variable(modelVariableName(`${path}running_var`), stats.var.shape), stats.var);
      if (stats.count) this.graph.assign(this.graph.variable(modelVariableName(`${path}num_batches_tracked`), []), stats.count);
    }
  }

  private tensor(layer: ResolvedLayer, role: TensorSpec['role']): Tensor {
    const spec = layer.tensors.find((t) => t.role === role);
    if (!spec) throw new InternalError(`layer '${layer.path}' has no ${role}`);
    return this.variable(spec);
  }

  private hasTensor(layer: ResolvedLayer, role: TensorSpec['role']): boolean {
    return layer.tensors.some((t) => t.role === role);
  }

  private layer(layer: ResolvedLayer, x: Tensor, mode: ModelMode): Tensor {
    if (layer.kind === 'sequential' || layer.kind === 'block') {
      if (layer.forward) return this.forwardGraph(layer, x, mode);
      return layer.children.reduce((h, child) => this.layer(child, h, mode), x);
    }
    return layerKinds[layer.kind].lower(x, layer.hyper, this.lowering(layer, mode));
  }

  /** What a layer kind's lowering may use of this layer: its variables and batch-norm chaining. */
  private lowering(layer: ResolvedLayer, mode: ModelMode): LayerLowering {
    return {
      mode,
      tensor: (role) => this.tensor(layer, role),
      hasTensor: (role) => this.hasTensor(layer, role),
      batchNorm: (x, options) => this.batchNorm(layer, x, mode, options),
    };
  }

  private forwardGraph(layer: ResolvedLayer, x: Tensor, mode: ModelMode): Tensor {
    const values = new Map<number, Tensor>();
    const get = (id: number) => {
      const v = values.get(id);
      if (!v) throw new InternalError(`forward of '${layer.path}': step ${id} used before it is computed`);
      return v;
    };
    for (const step of layer.forward!.steps) values.set(step.id, this.forwardStep(layer, step, x, get, mode));
    return get(layer.forward!.output);
  }

  private forwardStep(layer: ResolvedLayer, step: ForwardStep, x: Tensor, get: (id: number) => Tensor, mode: ModelMode): Tensor {
    switch (step.op) {
      case 'input':
        return x;
      case 'child': {
        const child = layer.children.find((c) => c.name === step.child);
        if (!child) throw new InternalError(`forward of '${layer.path}': no child '${step.child}'`);
        return this.layer(child, get(step.input), mode);
      }
      case 'add':
      case 'sub':
      case 'mul':
        return forwardArithmetic[step.op].lower(get(step.inputs[0]), get(step.inputs[1]));
      case 'scale':
        return get(step.input).mul(step.factor);
      default:
        // A tensor-free layer kind called as a function (relu(x), maxpool(x, 2), ...).
        return layerKinds[step.op].lower(get(step.input), step.hyper, this.lowering(layer, mode));
    }
  }

  /**
   * PyTorch BatchNorm1d/2d through src/ops/batchnorm.ts (fused statistics, normalisation and
   * gradient kernels). Train mode normalises with the batch statistics and moves the running
   * statistics (running_var with the unbiased variance); eval mode uses them. The updated
   * statistics are chained to the next train-mode application in this graph.
   */
  private batchNorm(layer: ResolvedLayer, x: Tensor, mode: ModelMode, h: { eps: number; momentum: number }): Tensor {
    const c = x.shape[1]!;
    const prefix = layer.path ? `${layer.path}.` : '';
    const prev: RunningStats = this.running.get(prefix) ?? {
      mean: this.graph.variable(modelVariableName(`${prefix}running_mean`), [c]),
      var: this.graph.variable(modelVariableName(`${prefix}running_var`), [c]),
      count: this.hasTensor(layer, 'num_batches_tracked') ? this.graph.variable(modelVariableName(`${prefix}num_batches_tracked`), []) : undefined,
    };
    const r = batchNorm(
      x,
      { weight: this.tensor(layer, 'weight'), bias: this.tensor(layer, 'bias'), runningMean: prev.mean, runningVar: prev.var, ...(prev.count ? { numBatchesTracked: prev.count } : {}) },
      { training: mode === 'train', momentum: h.momentum, eps: h.eps },
    );
    if (mode === 'train') this.running.set(prefix, { mean: r.runningMean!, var: r.runningVar!, count: r.numBatchesTracked ?? prev.count });
    return r.y;
  }
}
