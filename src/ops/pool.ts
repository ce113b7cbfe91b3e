/**
 * 2-D pooling on NCHW tensors with PyTorch semantics (floor output rule, pad <= kernel/2):
 *   maxpool2d(x, {kernel, stride, pad})                    padding is -inf; ties go to the first
 *                                                          maximum in row-major window order
 *   maxpool2d_grad(x, gy, {kernel, stride, pad})           gradient routed to each window's argmax
 *   avgpool2d(x, {kernel, stride, pad})                    count_include_pad: divisor kh*kw
 *   avgpool2d_grad(gy, {kernel, stride, pad, inputShape})
 * stride defaults to the kernel. A global average pool is avgpool2d with kernel [H, W].
 */
import type { Attrs, Node } from '../graph/graph.js';
import { formatShape, ShapeError, type Shape } from '../graph/shape.js';
import { avgPoolGradKernel, avgPoolKernel, maxPoolGradKernel, maxPoolKernel, type PoolGeometry } from '../../codegen/wgsl/pool.js';
import { outputExtent, toPair } from './conv.js';
import { registerOp, type TypedArray } from './registry.js';

export function poolGeometry(op: string, x: Shape, attrs: Attrs): PoolGeometry {
  if (x.length !== 4) throw new ShapeError(`${op}: input must be NCHW (rank 4), got ${formatShape(x)}`);
  const [N, C, H, W] = x as [number, number, number, number];
  const kernel = attrs['kernel'] as number | number[] | undefined;
  if (kernel === undefined) throw new ShapeError(`${op}: missing kernel size`);
  const [kh, kw] = toPair(kernel, 0, `${op} kernel`);
  const [sh, sw] = toPair(attrs['stride'] as number | number[] | undefined ?? [kh, kw], 0, `${op} stride`);
  const [ph, pw] = toPair(attrs['pad'] as number | number[] | undefined, 0, `${op} pad`);
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
const windowAttrs = (a: Attrs) => ({ kernel: a['kernel'], stride: a['stride'], pad: a['pad'] });

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

function argmax(g: PoolGeometry, x: TypedArray, plane: number, oy: number, ox: number): number {
  let best = -1;
  windowPixels(g, plane, oy, ox, (i) => {
    if (best < 0 || x[i]! > x[best]!) best = i;
  });
  return best;
}

registerOp({
  name: 'maxpool2d',
  infer: (inputs, attrs) => ({ shape: outShape(inputs[0]!.shape, poolGeometry('maxpool2d', inputs[0]!.shape, attrs)), dtype: 'f32' }),
  cpu(inputs, ctx) {
    const x = inputs[0]!;
    const g = poolGeometry('maxpool2d', ctx.inputs[0]!.shape, ctx.node.attrs);
    const y = new Float32Array(g.planes * g.OH * g.OW);
    forEachWindow(g, (o, plane, oy, ox) => (y[o] = x[argmax(g, x, plane, oy, ox)]!));
    return y;
  },
  grad: (gy, ctx) => [gy.graph.apply('maxpool2d_grad', [ctx.inputs[0]!, gy], windowAttrs(ctx.attrs))],
  kernel: (ctx) => maxPoolKernel(poolGeometry('maxpool2d', ctx.inputs[0]!.shape, ctx.node.attrs)),
});

registerOp({
  name: 'maxpool2d_grad',
  infer(inputs, attrs) {
    const [x, gy] = inputs as [Node, Node];
    const want = outShape(x.shape, poolGeometry('maxpool2d_grad', x.shape, attrs));
    if (gy.shape.length !== 4 || gy.shape.some((d, i) => d !== want[i])) {
      throw new ShapeError(`maxpool2d_grad: output gradient is ${formatShape(gy.shape)}, expected ${formatShape(want)}`);
    }
    return { shape: x.shape, dtype: 'f32' };
  },
  cpu(inputs, ctx) {
    const [x, gy] = inputs as [TypedArray, TypedArray];
    const g = poolGeometry('maxpool2d_grad', ctx.inputs[0]!.shape, ctx.node.attrs);
    const dx = new Float32Array(x.length);
    forEachWindow(g, (o, plane, oy, ox) => (dx[argmax(g, x, plane, oy, ox)]! += gy[o]!));
    return dx;
  },
  // No gradient rule: nothing in matc differentiates through a pooling gradient twice.
  kernel: (ctx) => maxPoolGradKernel(poolGeometry('maxpool2d_grad', ctx.inputs[0]!.shape, ctx.node.attrs)),
});

registerOp({
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
});

function avgGradGeometry(gy: Node, attrs: Attrs): PoolGeometry {
  const inputShape = attrs['inputShape'] as number[] | undefined;
  if (!inputShape) throw new ShapeError('avgpool2d_grad: missing inputShape attr');
  const g = poolGeometry('avgpool2d_grad', inputShape, attrs);
  const want = outShape(inputShape, g);
  if (gy.shape.length !== 4 || gy.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`avgpool2d_grad: output gradient is ${formatShape(gy.shape)}, expected ${formatShape(want)}`);
  }
  return g;
}

registerOp({
  name: 'avgpool2d_grad',
  infer(inputs, attrs) {
    avgGradGeometry(inputs[0]!, attrs);
    return { shape: [...(attrs['inputShape'] as number[])], dtype: 'f32' };
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
});
