/**
 * The table of built-in layer kinds. Adding a layer kind means writing one `defineLayer` entry
 * (in its own file here) and listing it below: the checker (arguments, tensors, shapes) and the
 * lowering (src/lower/model.ts) both read this table. See types.ts for why it lives here.
 */
import { batchnorm } from './batchnorm.js';
import { conv } from './conv.js';
import { dropout } from './dropout.js';
import { flatten, identity, relu, silu } from './elementwise.js';
import { linear } from './linear.js';
import { normalize } from './normalize.js';
import { avgpool, maxpool } from './pool.js';
import type { LayerKindSpec } from './types.js';

export const layerKinds = { conv, batchnorm, linear, relu, silu, maxpool, avgpool, flatten, identity, normalize, dropout } satisfies Record<string, LayerKindSpec>;

export type LeafKind = keyof typeof layerKinds;

export function isLeafKind(name: string): name is LeafKind {
  return Object.hasOwn(layerKinds, name);
}

/** Kinds that can also be called as functions inside `forward`. */
export const functionalKinds = (Object.keys(layerKinds) as LeafKind[]).filter((k) => layerKinds[k].functional);

export type { LayerKindSpec, LayerHyper, ArgumentSpec, ArgumentType, LayerArgValue, LayerLowering, ModelMode, Shape, TensorSpec, InitScheme } from './types.js';
export { initSchemeNames } from './helpers.js';
export { forwardArithmetic, type ForwardArithmeticOp } from './forward-ops.js';
export type { ConvHyper } from './conv.js';
export type { LinearHyper } from './linear.js';
export type { BatchNormHyper } from './batchnorm.js';
export type { PoolHyper } from './pool.js';
export type { NormalizeHyper } from './normalize.js';
export type { DropoutHyper } from './dropout.js';
