/**
 * Elementwise ops with NumPy broadcasting: arithmetic, unary math, comparisons, where,
 * clamp, cast, stop_gradient. Each gives a WGSL expression; codegen/wgsl/elementwise.ts
 * does the indexing and fuses chains of these into one kernel.
 */
import type { DType, Node } from '../ir/graph.js';
import { broadcastShapes, broadcastStrides, sizeOf, ShapeError, formatShape } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import type { OpAttrs, OpName } from '../ir/op-attrs.js';
import type { CpuContext, ElementwiseOpDef, KernelContext } from '../ir/op.js';
import { allocFor, type TypedArray } from '../ir/typed-array.js';
import { wgslLiteral as lit } from '../../codegen/wgsl/literal.js';
import { unbroadcast } from './grad-util.js';

/** CPU reference for any elementwise op: broadcast-index every input, apply `f`. */
function cpuElementwise<K extends OpName>(f: (args: number[], attrs: OpAttrs[K]) => number) {
  return (inputs: TypedArray[], ctx: CpuContext<K>): TypedArray => {
    const out = ctx.node;
    const n = sizeOf(out.shape);
    const result = allocFor(out, n);
    const strides = ctx.inputs.map((i) => broadcastStrides(i.shape, out.shape));
    const rank = out.shape.length;
    const idx = new Array<number>(rank).fill(0);
    const args = new Array<number>(inputs.length);
    for (let flat = 0; flat < n; flat++) {
      for (let k = 0; k < inputs.length; k++) {
        let off = 0;
        const s = strides[k]!;
        for (let d = 0; d < rank; d++) off += idx[d]! * s[d]!;
        args[k] = inputs[k]![off]!;
      }
      result[flat] = f(args, ctx.node.attrs);
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        if (idx[d]! < out.shape[d]!) break;
        idx[d] = 0;
      }
    }
    return result;
  };
}

function sameDtype(op: string, inputs: readonly Node[]): DType {
  const dt = inputs[0]!.dtype;
  for (const i of inputs) {
    if (i.dtype !== dt) throw new ShapeError(`${op}: mixed dtypes ${inputs.map((x) => x.dtype).join(', ')}; cast first`);
  }
  return dt;
}

/** A literal of the op's value type: scalar, or splatted to vec4 in vector kernels. */
function L(v: number, dtype: DType, ctx: { width?: 1 | 4 }): string {
  const l = lit(v, dtype);
  return ctx.width === 4 ? `vec4<${dtype}>(${l})` : l;
}

type BinaryGrad = (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null];

function binary<K extends OpName>(name: K, f: (a: number, b: number) => number, expr: (a: string, b: string, dt: DType) => string, grad?: BinaryGrad, vectorizable = true): ElementwiseOpDef<K> {
  return {
    name,
    infer: (inputs) => ({ shape: broadcastShapes(inputs[0]!.shape, inputs[1]!.shape), dtype: sameDtype(name, inputs) }),
    cpu: cpuElementwise((a) => f(a[0]!, a[1]!)),
    elementwise: (args, ctx) => expr(args[0]!, args[1]!, ctx.node.dtype),
    vectorizable,
    ...(grad && {
      grad: (g: Tensor, ctx: { inputs: Tensor[]; output: Tensor }) => {
        const [a, b] = ctx.inputs as [Tensor, Tensor];
        const [ga, gb] = grad(g, a, b, ctx.output);
        return [ga && unbroadcast(ga, a.shape), gb && unbroadcast(gb, b.shape)];
      },
    }),
  };
}

function unary<K extends OpName>(
  name: K,
  f: (a: number, attrs: OpAttrs[K]) => number,
  expr: (a: string, dt: DType, attrs: OpAttrs[K], ctx: KernelContext<K>) => string,
  grad?: (g: Tensor, x: Tensor, out: Tensor, attrs: OpAttrs[K]) => Tensor | null,
  outDtype?: (inDtype: DType, attrs: OpAttrs[K]) => DType,
): ElementwiseOpDef<K> {
  return {
    name,
    infer: (inputs, attrs) => ({ shape: inputs[0]!.shape, dtype: outDtype ? outDtype(inputs[0]!.dtype, attrs) : inputs[0]!.dtype }),
    cpu: cpuElementwise<K>((a, attrs) => f(a[0]!, attrs)),
    elementwise: (args, ctx) => expr(args[0]!, ctx.inputs[0]!.dtype, ctx.node.attrs, ctx),
    ...(grad && { grad: (g: Tensor, ctx: { inputs: Tensor[]; output: Tensor; attrs: OpAttrs[K] }) => [grad(g, ctx.inputs[0]!, ctx.output, ctx.attrs)] }),
  };
}

// f32 semantics in the CPU reference: round every result to f32 as the GPU stores it.
const fr = Math.fround;

const maskedGrad = (pick: (a: Tensor, b: Tensor) => Tensor): BinaryGrad => (g, a, b) => {
  const m = pick(a, b);
  return [g.mul(m), g.mul(m.neg().add(1))];
};

function comparison<K extends OpName>(name: K, f: (a: number, b: number) => boolean, opStr: string): ElementwiseOpDef<K> {
  return {
    name,
    infer: (inputs) => {
      sameDtype(name, inputs);
      return { shape: broadcastShapes(inputs[0]!.shape, inputs[1]!.shape), dtype: 'f32' };
    },
    cpu: cpuElementwise((a) => (f(a[0]!, a[1]!) ? 1 : 0)),
    elementwise: (args, ctx) => `select(${L(0, 'f32', ctx)}, ${L(1, 'f32', ctx)}, ${args[0]} ${opStr} ${args[1]})`,
    grad: () => [null, null],
  };
}

export const arithmeticOps = {
  add: binary('add', (a, b) => a + b, (a, b) => `(${a} + ${b})`, (g) => [g, g]),
  sub: binary('sub', (a, b) => a - b, (a, b) => `(${a} - ${b})`, (g) => [g, g.neg()]),
  mul: binary('mul', (a, b) => a * b, (a, b) => `(${a} * ${b})`, (g, a, b) => [g.mul(b), g.mul(a)]),
  div: binary('div', (a, b) => a / b, (a, b) => `(${a} / ${b})`, (g, a, b, out) => [g.div(b), g.mul(out).div(b).neg()]),
  // pow: the base's gradient only (exponents are constants in every use matc makes of it).
  pow: binary(
    'pow',
    (a, b) => Math.pow(a, b),
    // WGSL pow is undefined for negative bases; handle integer exponents on negative bases explicitly.
    (a, b) => `select(pow(abs(${a}), ${b}) * select(1.0, -1.0, (${a} < 0.0) && (abs(${b} - 2.0 * floor(${b} * 0.5)) == 1.0)), pow(${a}, ${b}), ${a} >= 0.0)`,
    (g, a, b) => [g.mul(b).mul(a.pow(b.sub(1))), null],
    false,
  ),
  maximum: binary('maximum', (a, b) => Math.max(a, b), (a, b) => `max(${a}, ${b})`, maskedGrad((a, b) => a.ge(b))),
  minimum: binary('minimum', (a, b) => Math.min(a, b), (a, b) => `min(${a}, ${b})`, maskedGrad((a, b) => a.le(b))),

  less: comparison('less', (a, b) => a < b, '<'),
  less_equal: comparison('less_equal', (a, b) => a <= b, '<='),
  greater: comparison('greater', (a, b) => a > b, '>'),
  greater_equal: comparison('greater_equal', (a, b) => a >= b, '>='),
  equal: comparison('equal', (a, b) => a === b, '=='),
  not_equal: comparison('not_equal', (a, b) => a !== b, '!='),
};

export const unaryOps = {
  neg: unary('neg', (a) => -a, (a) => `(-${a})`, (g) => g.neg()),
  exp: unary('exp', (a) => Math.exp(a), (a) => `exp(${a})`, (g, _x, out) => g.mul(out)),
  log: unary('log', (a) => Math.log(a), (a) => `log(${a})`, (g, x) => g.div(x)),
  // relu's mask is taken from its output (y > 0 exactly when x > 0), so the backward pass does not
  // keep the pre-activation alive and conv/matmul -> add(bias) -> relu can fuse into one kernel.
  relu: unary('relu', (a) => (a > 0 ? a : 0), (a, dt, _at, ctx) => `max(${a}, ${L(0, dt, ctx)})`, (g, _x, out) => g.mul(out.gt(0))),
  // silu(x) = x * sigmoid(x) = x / (1 + exp(-x)); for x -> -inf exp overflows to inf and the result
  // is -0, as in PyTorch. d/dx = s + x s (1 - s) = s (1 - y) + y with s = sigmoid(x), y = silu(x).
  silu: unary(
    'silu',
    (a) => fr(a / (1 + Math.exp(-a))),
    (a, dt, _at, ctx) => `(${a} / (${L(1, dt, ctx)} + exp(-${a})))`,
    (g, x, out) => {
      const s = x.neg().exp().add(1).pow(-1);
      return g.mul(s.mul(out.neg().add(1)).add(out));
    },
  ),
  sign: unary('sign', (a) => Math.sign(a), (a) => `sign(${a})`, () => null),
  abs: unary('abs', (a) => Math.abs(a), (a) => `abs(${a})`, (g, x) => g.mul(x.sign())),
  sqrt: unary('sqrt', (a) => Math.sqrt(a), (a) => `sqrt(${a})`, (g, _x, out) => g.div(out.mul(2))),
  square: unary('square', (a) => a * a, (a) => `(${a} * ${a})`, (g, x) => g.mul(x).mul(2)),
  clamp: unary(
    'clamp',
    (a, at) => Math.min(Math.max(a, at.min), at.max),
    (a, dt, at, ctx) => `clamp(${a}, ${L(at.min, dt, ctx)}, ${L(at.max, dt, ctx)})`,
    // Gradient passes where the input lies inside [min, max] (PyTorch's convention: boundary included).
    (g, x, _o, at) => g.mul(x.ge(at.min).mul(x.le(at.max))),
  ),
  stop_gradient: unary('stop_gradient', (a) => a, (a) => a, () => null),
  cast: unary(
    'cast',
    (a, at) => (at.dtype === 'f32' ? fr(a) : at.dtype === 'i32' ? Math.trunc(a) | 0 : Math.trunc(a) >>> 0),
    (a, _dt, at, ctx) => (ctx.width === 4 ? `vec4<${at.dtype}>(${a})` : `${at.dtype}(${a})`),
    (g, x) => (x.dtype === 'f32' ? g.cast('f32') : null),
    (_in, at) => at.dtype,
  ),
};

const where: ElementwiseOpDef<'where'> = {
  name: 'where',
  infer: (inputs) => {
    const [c, a, b] = inputs as [Node, Node, Node];
    if (a.dtype !== b.dtype) throw new ShapeError(`where: branches have dtypes ${a.dtype} and ${b.dtype}`);
    if (c.dtype !== 'f32') throw new ShapeError(`where: condition must be an f32 mask, got ${c.dtype}`);
    return { shape: broadcastShapes(c.shape, a.shape, b.shape), dtype: a.dtype };
  },
  cpu: cpuElementwise((a) => (a[0] !== 0 ? a[1]! : a[2]!)),
  elementwise: (args, ctx) => `select(${args[2]}, ${args[1]}, ${args[0]} != ${L(0, 'f32', ctx)})`,
  grad: (g, ctx) => {
    const [c, a, b] = ctx.inputs as [Tensor, Tensor, Tensor];
    const zero = g.mul(0);
    return [null, unbroadcast(c.select(g, zero), a.shape), unbroadcast(c.select(zero, g), b.shape)];
  },
};

/** Elementwise identity that materialises its input (used for assignments of aliases). */
const copy: ElementwiseOpDef<'copy'> = {
  name: 'copy',
  infer: (inputs) => ({ shape: inputs[0]!.shape, dtype: inputs[0]!.dtype }),
  cpu: (inputs) => inputs[0]!.slice(),
  elementwise: (args) => args[0]!,
  grad: (g) => [g],
};

export function checkSameShape(op: string, a: Node, b: Node): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  }
}

/** Broadcast to an explicit shape (NumPy rules); gradient sums back over broadcast axes. */
const broadcast_to: ElementwiseOpDef<'broadcast_to'> = {
  name: 'broadcast_to',
  infer: (inputs, attrs) => {
    const target = attrs.shape;
    const b = broadcastShapes(inputs[0]!.shape, target);
    if (b.length !== target.length || b.some((d, i) => d !== target[i])) {
      throw new ShapeError(`broadcast_to: ${formatShape(inputs[0]!.shape)} cannot be broadcast to ${formatShape(target)}`);
    }
    return { shape: target, dtype: inputs[0]!.dtype };
  },
  cpu: cpuElementwise((a) => a[0]!),
  elementwise: (args) => args[0]!,
  grad: (g, ctx) => [unbroadcast(g, ctx.inputs[0]!.shape)],
};

export const selectionOps = { where, copy, broadcast_to };
