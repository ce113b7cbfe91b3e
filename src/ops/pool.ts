/**
 * 2-D pooling on NCHW tensors with PyTorch semantics (floor output rule, pad <= kernel/2):
 *   maxpool2d_argmax(x, {kernel, stride, pad})             i32: each window's argmax as the index
 *                                                          iy * W + ix within its plane (PyTorch's
 *                                                          return_indices); padding is -inf and never
 *                                                          wins; ties go to the first maximum in
 *                                                          row-major window order
 *   maxpool2d(x, idx, {kernel, stride, pad})               y = x at each window's argmax idx
 *   maxpool2d_grad(idx, gy, {kernel, stride, pad, inputShape})  gy routed to each window's argmax
 *   avgpool2d(x, {kernel, stride, pad})                    count_include_pad: divisor kh*kw
 *   avgpool2d_grad(gy, {kernel, stride, pad, inputShape})
 * stride defaults to the kernel. A global average pool is avgpool2d with kernel [H, W].
 *
 * Max pooling is two nodes, argmax then gather (`Tensor.maxPool2d` builds both), so that the
 * argmax is a value of the graph that the backward reads instead of rescanning every window.
 * The IR has one output per node; a separate argmax node keeps each op defined once and needs
 * nothing new from the scheduler or the buffer plan. idx must come from maxpool2d_argmax with
 * the same window attrs.
 */
import type { Node } from '../ir/graph.js';
import type { WindowAttrs } from '../ir/op-attrs.js';
import type { KernelOpDef } from '../ir/op.js';
import type { TypedArray } from '../ir/typed-array.js';
import { formatShape, ShapeError, type Shape } from '../ir/shape.js';
import { avgPoolGradKernel, avgPoolKernel, type PoolGeometry } from '../../codegen/wgsl/pool.js';
import { maxPoolArgmaxKernel, maxPoolGatherKernel, maxPoolGradKernel } from '../../codegen/wgsl/maxpool.js';
import { toPair } from './conv.js';
import { outputExtent } from '../util/window.js';

export function poolGeometry(op: string, x: Shape, attrs: WindowAttrs): PoolGeometry {
  if (x.length !== 4) throw new ShapeError(`${op}: input must be NCHW (rank 4), got ${formatShape(x)}`);
  const [N, C, H, W] = x as [number, number, number, number];
  const kernel = attrs.kernel;
  if (kernel === undefined) throw new ShapeError(`${op}: missing kernel size`);
  const [kh, kw] = toPair(kernel, 0, `${op} kernel`);
  const [sh, sw] = toPair(attrs.stride ?? [kh, kw], 0, `${op} stride`);
  const [ph, pw] = toPair(attrs.pad, 0, `${op} pad`);
  const ints = [kh, kw, sh, sw].every((v) => Number.isInteger(v) && v >= 1) && [ph, pw].every((v) => Number.isInteger(v) && v >= 0);
  if (!ints) throw new ShapeError(`${op}: kernel and stride must be positive integers and pad non-negative (kernel [${kh}, ${kw}], stride [${sh}, ${sw}], pad [${ph}, ${pw}])`);
  // PyTorch's rule; it also guarantees every window holds at least one real pixel.
  if (2 * ph > kh || 2 * pw > kw) throw new ShapeError(`${op}: pad [${ph}, ${pw}] must be at most half the kernel [${kh}, ${kw}]`);
  const OH = outputExtent(H, kh, sh, ph);
  const OW = outputExtent(W, kw, sw, pw);
  if (OH < 1 || OW < 1) throw new ShapeError(`${op}: kernel [${kh}, ${kw}] does not fit input ${formatShape(x)} with pad [${ph}, ${pw}]`);
  return { planes: N * C, H, W, kh, kw, sh, sw, ph, pw, OH, OW };
}

const outShape = (x: Shape, g: PoolGeometry) => [x[0]!, x[1]!, g.OH, g.OW];
const windowAttrs = (a: WindowAttrs): WindowAttrs => ({ kernel: a.kernel, stride: a.stride, pad: a.pad });

/** Flat input indices of window (plane, oy, ox) that hold real pixels, in row-major window order. */
function windowPixels(g: PoolGeometry, plane: number, oy: number, ox: number, f: (i: number) => void): void {
  for (let ky = 0; ky < g.kh; ky++) {
    const iy = oy * g.sh - g.ph + ky;
    if (iy < 0 || iy >= g.H) continue;
    for (let kx = 0; kx < g.kw; kx++) {
      const ix = ox * g.sw - g.pw + kx;
      if (ix >= 0 && ix < g.W) f((plane * g.H + iy) * g.W + ix);
    }
  }
}

/** Visit every window: f(flat output index, plane, oy, ox). */
function forEachWindow(g: PoolGeometry, f: (o: number, plane: number, oy: number, ox: number) => void): void {
  let o = 0;
  for (let plane = 0; plane < g.planes; plane++) for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) f(o++, plane, oy, ox);
}

/** Index within the plane (iy * W + ix) of the first maximum of window (plane, oy, ox). */
function argmax(g: PoolGeometry, x: TypedArray, plane: number, oy: number, ox: number): number {
  let best = -1;
  windowPixels(g, plane, oy, ox, (i) => {
    if (best < 0 || x[i]! > x[best]!) best = i;
  });
  return best - plane * g.H * g.W;
}

/** Checks that an operand has the pooled shape [N, C, OH, OW] and the given dtype. */
function expectPooled(op: string, what: string, t: Node, want: Shape, dtype: string): void {
  if (t.dtype !== dtype || t.shape.length !== 4 || t.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: ${what} is ${t.dtype}${formatShape(t.shape)}, expected ${dtype}${formatShape(want)}`);
  }
}

/** Geometry of maxpool2d_grad(idx, gy): the input shape is an attr, as for avgpool2d_grad. */
function maxGradGeometry(idx: Node, gy: Node, attrs: WindowAttrs & { inputShape: readonly number[] }): PoolGeometry {
  const inputShape = attrs.inputShape;
  if (!inputShape) throw new ShapeError('maxpool2d_grad: missing inputShape attr');
  const g = poolGeometry('maxpool2d_grad', inputShape, attrs);
  const want = outShape(inputShape, g);
  expectPooled('maxpool2d_grad', 'argmax', idx, want, 'i32');
  expectPooled('maxpool2d_grad', 'output gradient', gy, want, 'f32');
  return g;
}

const maxpool2dArgmaxDef: KernelOpDef<'maxpool2d_argmax'> = {
  name: 'maxpool2d_argmax',
  infer: (inputs, attrs) => ({ shape: outShape(inputs[0]!.shape, poolGeometry('maxpool2d_argmax', inputs[0]!.shape, attrs)), dtype: 'i32' }),
  cpu(inputs, ctx) {
    const x = inputs[0]!;
    const g = poolGeometry('maxpool2d_argmax', ctx.inputs[0]!.shape, ctx.node.attrs);
    const idx = new Int32Array(g.planes * g.OH * g.OW);
    forEachWindow(g, (o, plane, oy, ox) => (idx[o] = argmax(g, x, plane, oy, ox)));
    return idx;
  },
  // Piecewise constant: no gradient flows through an index.
  grad: () => [null],
  kernel: (ctx) => maxPoolArgmaxKernel(poolGeometry('maxpool2d_argmax', ctx.inputs[0]!.shape, ctx.node.attrs)),
};

const maxpool2dDef: KernelOpDef<'maxpool2d'> = {
  name: 'maxpool2d',
  infer(inputs, attrs) {
    const [x, idx] = inputs as [Node, Node];
    const want = outShape(x.shape, poolGeometry('maxpool2d', x.shape, attrs));
    if (!idx) throw new ShapeError('maxpool2d: needs (x, idx) with idx = maxpool2d_argmax(x); Tensor.maxPool2d builds both');
    expectPooled('maxpool2d', 'argmax', idx, want, 'i32');
    return { shape: want, dtype: 'f32' };
  },
  cpu(inputs, ctx) {
    const [x, idx] = inputs as [TypedArray, TypedArray];
    const g = poolGeometry('maxpool2d', ctx.inputs[0]!.shape, ctx.node.attrs);
    const y = new Float32Array(idx.length);
    forEachWindow(g, (o, plane) => (y[o] = x[plane * g.H * g.W + idx[o]!]!));
    return y;
  },
  grad: (gy, ctx) => [gy.graph.apply('maxpool2d_grad', [ctx.inputs[1]!, gy], { ...windowAttrs(ctx.attrs), inputShape: [...ctx.inputs[0]!.shape] }), null],
  kernel: (ctx) => maxPoolGatherKernel(poolGeometry('maxpool2d', ctx.inputs[0]!.shape, ctx.node.attrs)),
};

const maxpool2dGradDef: KernelOpDef<'maxpool2d_grad'> = {
  name: 'maxpool2d_grad',
  infer(inputs, attrs) {
    maxGradGeometry(inputs[0]!, inputs[1]!, attrs);
    return { shape: [...attrs.inputShape], dtype: 'f32' };
  },
  cpu(inputs, ctx) {
    const [idx, gy] = inputs as [TypedArray, TypedArray];
    const g = maxGradGeometry(ctx.inputs[0]!, ctx.inputs[1]!, ctx.node.attrs);
    const dx = new Float32Array(g.planes * g.H * g.W);
    forEachWindow(g, (o, plane) => (dx[plane * g.H * g.W + idx[o]!]! += gy[o]!));
    return dx;
  },
  // Linear in gy: its adjoint gathers at the same argmax, which is maxpool2d.
  grad: (gdx, ctx) => [null, gdx.graph.apply('maxpool2d', [gdx, ctx.inputs[0]!], windowAttrs(ctx.attrs))],
  kernel: (ctx) => maxPoolGradKernel(maxGradGeometry(ctx.inputs[0]!, ctx.inputs[1]!, ctx.node.attrs)),
};

const avgpool2dDef: KernelOpDef<'avgpool2d'> = {
  name: 'avgpool2d',
  infer: (inputs, attrs) => ({ shape: outShape(inputs[0]!.shape, poolGeometry('avgpool2d', inputs[0]!.shape, attrs)), dtype: 'f32' }),
  cpu(inputs, ctx) {
    const x = inputs[0]!;
    const g = poolGeometry('avgpool2d', ctx.inputs[0]!.shape, ctx.node.attrs);
    const y = new Float32Array(g.planes * g.OH * g.OW);
    forEachWindow(g, (o, plane, oy, ox) => {
      let s = 0;
      windowPixels(g, plane, oy, ox, (i) => (s += x[i]!));
      y[o] = s / (g.kh * g.kw);
    });
    return y;
  },
  grad: (gy, ctx) => [gy.graph.apply('avgpool2d_grad', [gy], { ...windowAttrs(ctx.attrs), inputShape: [...ctx.inputs[0]!.shape] })],
  kernel: (ctx) => avgPoolKernel(poolGeometry('avgpool2d', ctx.inputs[0]!.shape, ctx.node.attrs)),
};

function avgGradGeometry(gy: Node, attrs: WindowAttrs & { inputShape: readonly number[] }): PoolGeometry {
  const inputShape = attrs.inputShape;
  if (!inputShape) throw new ShapeError('avgpool2d_grad: missing inputShape attr');
  const g = poolGeometry('avgpool2d_grad', inputShape, attrs);
  const want = outShape(inputShape, g);
  if (gy.shape.length !== 4 || gy.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`avgpool2d_grad: output gradient is ${formatShape(gy.shape)}, expected ${formatShape(want)}`);
  }
  return g;
}

const avgpool2dGradDef: KernelOpDef<'avgpool2d_grad'> = {
  name: 'avgpool2d_grad',
  infer(inputs, attrs) {
    avgGradGeometry(inputs[0]!, attrs);
    return { shape: [...attrs.inputShape], dtype: 'f32' };
  },
  cpu(inputs, ctx) {
    const gy = inputs[0]!;
    const g = avgGradGeometry(ctx.inputs[0]!, ctx.node.attrs);
    const dx = new Float32Array(g.planes * g.H * g.W);
    const scale = 1 / (g.kh * g.kw);
    forEachWindow(g, (o, plane, oy, ox) => windowPixels(g, plane, oy, ox, (i) => (dx[i]! += gy[o]! * scale)));
    return dx;
  },
  // Linear in gy: its adjoint is the forward average pool.
  grad: (gdx, ctx) => [gdx.graph.apply('avgpool2d', [gdx], windowAttrs(ctx.attrs))],
  kernel: (ctx) => avgPoolGradKernel(avgGradGeometry(ctx.inputs[0]!, ctx.node.attrs)),
};

export const poolOps = {
  maxpool2d_argmax: maxpool2dArgmaxDef,
  maxpool2d: maxpool2dDef,
  maxpool2d_grad: maxpool2dGradDef,
  avgpool2d: avgpool2dDef,
  avgpool2d_grad: avgpool2dGradDef,
};
