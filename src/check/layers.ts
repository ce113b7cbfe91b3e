/**
 * The built-in layers a model is made of: their arguments, their tensors (named and initialized as
 * in PyTorch's nn.Conv2d, nn.BatchNorm2d, nn.Linear) and their shape rules. Adding a layer kind means
 * adding one entry here (and its op in the lowering).
 */
import type { ConstValue } from './const-eval.js';
import type { BatchNormHyper, ConvHyper, InitScheme, LayerHyper, LinearHyper, PoolHyper, Shape, TensorSpec } from './resolved.js';

export type ArgumentType = 'int' | 'number' | 'bool' | 'init';

export interface ArgumentSpec {
  name: string;
  type: ArgumentType;
  /** Absent: the argument is required. */
  default?: ConstValue | ((args: Record<string, ConstValue>) => ConstValue);
}

export type LeafKind = 'conv' | 'batchnorm' | 'linear' | 'relu' | 'maxpool' | 'avgpool' | 'flatten' | 'identity';

export interface LayerKindSpec {
  kind: LeafKind;
  /** One line for hovers and docs. */
  summary: string;
  arguments: ArgumentSpec[];
  hyper(args: Record<string, ConstValue>): LayerHyper;
  /** The layer's state_dict entries; `prefix` is its dotted path plus `.` (empty at the root). */
  tensors(hyper: LayerHyper, args: Record<string, ConstValue>, prefix: string): TensorSpec[];
  /** The output shape, or a message saying why the input does not fit. */
  outputShape(hyper: LayerHyper, input: Shape): Shape | string;
}

export const initSchemeNames = ['kaiming_uniform', 'uniform_fan_in', 'kaiming_normal_fan_out', 'zeros', 'ones'] as const;

function init(name: ConstValue, fanIn: number, fanOut: number): InitScheme {
  switch (name) {
    case 'kaiming_normal_fan_out': return { kind: 'kaiming_normal_fan_out', fanOut };
    case 'uniform_fan_in': return { kind: 'uniform_fan_in', fanIn };
    case 'zeros': return { kind: 'zeros' };
    case 'ones': return { kind: 'ones' };
    default: return { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn };
  }
}

function tensor(prefix: string, role: TensorSpec['role'], shape: Shape, initScheme: InitScheme, trainable = true): TensorSpec {
  return { name: `${prefix}${role}`, role, shape, trainable, dtype: role === 'num_batches_tracked' ? 'int64' : 'float32', init: initScheme };
}

const shapeText = (s: Shape): string => `[${s.join(', ')}]`;

/** Output size of a convolution or pooling window along one axis. */
function windowOutput(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

function spatial(what: string, h: PoolHyper | ConvHyper, input: Shape, channels: number): Shape | string {
  if (input.length !== 3) return `${what} expects an input of shape [channels, height, width] but receives ${shapeText(input)}`;
  const [, height, width] = input as [number, number, number];
  if (height + 2 * h.padding < h.kernel || width + 2 * h.padding < h.kernel) {
    return `${what} has a ${h.kernel}x${h.kernel} window but its input ${shapeText(input)} is only ${height}x${width} (padding ${h.padding})`;
  }
  return [channels, windowOutput(height, h.kernel, h.stride, h.padding), windowOutput(width, h.kernel, h.stride, h.padding)];
}

const pool = (kind: 'maxpool' | 'avgpool', summary: string): LayerKindSpec => ({
  kind,
  summary,
  arguments: [
    { name: 'kernel', type: 'int' },
    { name: 'stride', type: 'int', default: (a) => a.kernel! },
    { name: 'padding', type: 'int', default: 0 },
  ],
  hyper: (a) => ({ kernel: a.kernel as number, stride: a.stride as number, padding: a.padding as number }),
  tensors: () => [],
  outputShape: (h, input) => spatial(kind, h as PoolHyper, input, input[0] ?? 0),
});

const noArguments = (kind: LeafKind, summary: string, outputShape: (input: Shape) => Shape | string): LayerKindSpec => ({
  kind,
  summary,
  arguments: [],
  hyper: () => ({}),
  tensors: () => [],
  outputShape: (_h, input) => outputShape(input),
});

export const layerKinds: Record<LeafKind, LayerKindSpec> = {
  conv: {
    kind: 'conv',
    summary: 'nn.Conv2d: weight [out, in, k, k] and optional bias [out]',
    arguments: [
      { name: 'in_channels', type: 'int' },
      { name: 'out_channels', type: 'int' },
      { name: 'kernel', type: 'int' },
      { name: 'stride', type: 'int', default: 1 },
      { name: 'padding', type: 'int', default: 0 },
      { name: 'bias', type: 'bool', default: true },
      { name: 'weight_init', type: 'init', default: 'kaiming_uniform' },
      { name: 'bias_init', type: 'init', default: 'uniform_fan_in' },
    ],
    hyper: (a): ConvHyper => ({
      inChannels: a.in_channels as number,
      outChannels: a.out_channels as number,
      kernel: a.kernel as number,
      stride: a.stride as number,
      padding: a.padding as number,
      bias: a.bias as boolean,
    }),
    tensors: (hyper, a, prefix) => {
      const h = hyper as ConvHyper;
      const fanIn = h.inChannels * h.kernel * h.kernel;
      const fanOut = h.outChannels * h.kernel * h.kernel;
      const out = [tensor(prefix, 'weight', [h.outChannels, h.inChannels, h.kernel, h.kernel], init(a.weight_init!, fanIn, fanOut))];
      if (h.bias) out.push(tensor(prefix, 'bias', [h.outChannels], init(a.bias_init!, fanIn, fanOut)));
      return out;
    },
    outputShape: (hyper, input) => {
      const h = hyper as ConvHyper;
      if (input.length === 3 && input[0] !== h.inChannels) {
        return `conv expects ${h.inChannels} input channel${h.inChannels === 1 ? '' : 's'} but receives ${input[0]} (input shape ${shapeText(input)})`;
      }
      return spatial('conv', h, input, h.outChannels);
    },
  },
  batchnorm: {
    kind: 'batchnorm',
    summary: 'nn.BatchNorm2d (or 1d on flat inputs): weight, bias, running_mean, running_var, num_batches_tracked',
    arguments: [
      { name: 'features', type: 'int' },
      { name: 'eps', type: 'number', default: 1e-5 },
      { name: 'momentum', type: 'number', default: 0.1 },
    ],
    hyper: (a): BatchNormHyper => ({ features: a.features as number, eps: a.eps as number, momentum: a.momentum as number }),
    tensors: (hyper, _a, prefix) => {
      const f = (hyper as BatchNormHyper).features;
      return [
        tensor(prefix, 'weight', [f], { kind: 'ones' }),
        tensor(prefix, 'bias', [f], { kind: 'zeros' }),
        tensor(prefix, 'running_mean', [f], { kind: 'zeros' }, false),
        tensor(prefix, 'running_var', [f], { kind: 'ones' }, false),
        tensor(prefix, 'num_batches_tracked', [], { kind: 'zeros' }, false),
      ];
    },
    outputShape: (hyper, input) => {
      const f = (hyper as BatchNormHyper).features;
      if (input.length !== 1 && input.length !== 3) return `batchnorm expects [features] or [channels, height, width] but receives ${shapeText(input)}`;
      if (input[0] !== f) return `batchnorm expects ${f} channels but receives ${input[0]} (input shape ${shapeText(input)})`;
      return input;
    },
  },
  linear: {
    kind: 'linear',
    summary: 'nn.Linear: weight [out, in] and optional bias [out]',
    arguments: [
      { name: 'in_features', type: 'int' },
      { name: 'out_features', type: 'int' },
      { name: 'bias', type: 'bool', default: true },
      { name: 'weight_init', type: 'init', default: 'kaiming_uniform' },
      { name: 'bias_init', type: 'init', default: 'uniform_fan_in' },
    ],
    hyper: (a): LinearHyper => ({ inFeatures: a.in_features as number, outFeatures: a.out_features as number, bias: a.bias as boolean }),
    tensors: (hyper, a, prefix) => {
      const h = hyper as LinearHyper;
      const out = [tensor(prefix, 'weight', [h.outFeatures, h.inFeatures], init(a.weight_init!, h.inFeatures, h.outFeatures))];
      if (h.bias) out.push(tensor(prefix, 'bias', [h.outFeatures], init(a.bias_init!, h.inFeatures, h.outFeatures)));
      return out;
    },
    outputShape: (hyper, input) => {
      const h = hyper as LinearHyper;
      if (input.length !== 1) {
        const n = input.reduce((a, b) => a * b, 1);
        return `linear expects a flat input of ${h.inFeatures} features but receives shape ${shapeText(input)} (${n} values); add \`flatten\` before it`;
      }
      if (input[0] !== h.inFeatures) return `linear expects ${h.inFeatures} input features but receives ${input[0]}`;
      return [h.outFeatures];
    },
  },
  maxpool: pool('maxpool', 'nn.MaxPool2d(kernel, stride = kernel, padding = 0)'),
  avgpool: pool('avgpool', 'nn.AvgPool2d / F.avg_pool2d(kernel, stride = kernel, padding = 0)'),
  relu: noArguments('relu', 'nn.ReLU', (input) => input),
  identity: noArguments('identity', 'nn.Identity', (input) => input),
  flatten: noArguments('flatten', 'nn.Flatten: [c, h, w] -> [c * h * w]', (input) => [input.reduce((a, b) => a * b, 1)]),
};

export function isLeafKind(name: string): name is LeafKind {
  return Object.hasOwn(layerKinds, name);
}
