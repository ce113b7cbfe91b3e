/**
 * 2-D convolution (NCHW, PyTorch weight layout [O, C, kh, kw], no groups/dilation/bias):
 *   conv2d(x, w, {stride, pad})                              -> [N, O, OH, OW]
 *   conv2d_grad_input(gy, w, {stride, pad, inputShape})      -> [N, C, H, W]
 *   conv2d_grad_weight(x, gy, {stride, pad, kernel: [kh, kw], splits?}) -> [O, C, kh, kw]
 *     (with splits = S > 1: [S, O, C, kh, kw], slice s summing images s*ceil(N/S) ...; the
 *     sum over slices is dw. conv2d's gradient uses this to spread a long K over all cores.)
 * OH = floor((H + 2*ph - kh) / sh) + 1 (PyTorch). The two gradient ops are ops of their own so
 * that conv2d's gradient runs as two implicit-GEMM kernels; they are linear in each input,
 * so their own gradients are again convolutions (double backprop works).
 */
import type { Node } from '../ir/graph.js';
import type { ConvAttrs, OpAttrs, Pair as PairAttr } from '../ir/op-attrs.js';
import type { KernelOpDef } from '../ir/op.js';
import type { TypedArray } from '../ir/typed-array.js';
import { formatShape, ShapeError, type Shape } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { conv2dForwardKernel, conv2dForwardPointwiseKernel, conv2dGradInputKernel, conv2dGradInputPointwiseKernel, conv2dGradInputStridedKernel, conv2dGradInputStridedPointwiseKernel, isPointwise, isStridedPointwise, conv2dGradInputThinKernel, conv2dGradWeightKernel, gradWeightSplits, type ConvGeometry } from '../../codegen/wgsl/conv.js';
import { conv2dGradWeightThinKernel, thinGradWeightApplies } from '../../codegen/wgsl/conv-grad-weight-thin.js';
import { conv2dForwardDirectKernel, conv2dGradInputDirectKernel, directConvApplies, directForwardApplies, directPointwiseGradInputApplies, directStridedGradInputApplies } from '../../codegen/wgsl/conv-direct.js';
import { outputExtent } from '../util/window.js';

export type Pair = [number, number];

/** Accept `2` or `[2, 3]`. */
export function toPair(v: PairAttr | undefined, fallback: number, what: string): Pair {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  if (v.length !== 2) throw new ShapeError(`${what} must be a number or a pair, got [${v.join(', ')}]`);
  return [v[0]!, v[1]!];
}

function checkWindow(op: string, stride: Pair, pad: Pair, kernel: Pair): void {
  if (stride.some((s) => !Number.isInteger(s) || s < 1)) throw new ShapeError(`${op}: stride must be positive integers, got [${stride.join(', ')}]`);
  if (pad.some((p) => !Number.isInteger(p) || p < 0)) throw new ShapeError(`${op}: pad must be non-negative integers, got [${pad.join(', ')}]`);
  if (kernel.some((k) => !Number.isInteger(k) || k < 1)) throw new ShapeError(`${op}: kernel must be positive integers, got [${kernel.join(', ')}]`);
}

/** Full geometry from x's and w's shapes and the attrs; validates everything. */
export function convGeometry(op: string, x: Shape, w: Shape, attrs: ConvAttrs): ConvGeometry {
  if (x.length !== 4) throw new ShapeError(`${op}: input must be NCHW (rank 4), got ${formatShape(x)}`);
  if (w.length !== 4) throw new ShapeError(`${op}: weight must be [O, C, kh, kw], got ${formatShape(w)}`);
  const [N, C, H, W] = x as [number, number, number, number];
  const [O, Cw, kh, kw] = w as [number, number, number, number];
  if (C !== Cw) throw new ShapeError(`${op}: input has ${C} channels but the weight ${formatShape(w)} expects ${Cw}`);
  const [sh, sw] = toPair(attrs.stride, 1, `${op} stride`);
  const [ph, pw] = toPair(attrs.pad, 0, `${op} pad`);
  checkWindow(op, [sh, sw], [ph, pw], [kh, kw]);
  const OH = outputExtent(H, kh, sh, ph);
  const OW = outputExtent(W, kw, sw, pw);
  if (OH < 1 || OW < 1) throw new ShapeError(`${op}: kernel ${kh}x${kw} with pad [${ph}, ${pw}] does not fit input ${formatShape(x)}`);
  return { N, C, H, W, O, kh, kw, sh, sw, ph, pw, OH, OW };
}

function expectShape(op: string, what: string, got: Shape, want: Shape): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: ${what} is ${formatShape(got)}, expected ${formatShape(want)}`);
  }
}

/** Geometry of the forward conv that a gradient op belongs to. */
function gradInputGeometry(gy: Node, w: Node, attrs: OpAttrs['conv2d_grad_input']): ConvGeometry {
  const inputShape = attrs.inputShape;
  if (!inputShape) throw new ShapeError('conv2d_grad_input: missing inputShape attr');
  const g = convGeometry('conv2d_grad_input', inputShape, w.shape, attrs);
  expectShape('conv2d_grad_input', 'output gradient', gy.shape, [g.N, g.O, g.OH, g.OW]);
  return g;
}

function splitsOf(attrs: OpAttrs['conv2d_grad_weight'], N: number): number {
  const s = attrs.splits ?? 1;
  if (!Number.isInteger(s) || s < 1 || s > Math.max(1, N)) throw new ShapeError(`conv2d_grad_weight: splits must be an integer in [1, ${N}], got ${s}`);
  return s;
}

function gradWeightGeometry(x: Node, gy: Node, attrs: OpAttrs['conv2d_grad_weight']): ConvGeometry {
  const [kh, kw] = toPair(attrs.kernel, 0, 'conv2d_grad_weight kernel');
  if (x.shape.length !== 4 || gy.shape.length !== 4) throw new ShapeError(`conv2d_grad_weight: x ${formatShape(x.shape)} and gy ${formatShape(gy.shape)} must be NCHW`);
  const g = convGeometry('conv2d_grad_weight', x.shape, [gy.shape[1]!, x.shape[1]!, kh, kw], attrs);
  expectShape('conv2d_grad_weight', 'output gradient', gy.shape, [g.N, g.O, g.OH, g.OW]);
  return g;
}

/**
 * Visit every (output pixel, tap) pair that reads a real input pixel:
 * f(xIndex, yIndexWithoutChannel, wIndexWithoutO) — the channel loops live in the callers.
 */
function forEachTap(g: ConvGeometry, n: number, c: number, f: (xi: number, oyx: number, wi: number) => void): void {
  for (let oy = 0; oy < g.OH; oy++) {
    for (let ox = 0; ox < g.OW; ox++) {
      for (let ky = 0; ky < g.kh; ky++) {
        const iy = oy * g.sh + ky - g.ph;
        if (iy < 0 || iy >= g.H) continue;
        for (let kx = 0; kx < g.kw; kx++) {
          const ix = ox * g.sw + kx - g.pw;
          if (ix < 0 || ix >= g.W) continue;
          f(((n * g.C + c) * g.H + iy) * g.W + ix, oy * g.OW + ox, (c * g.kh + ky) * g.kw + kx);
        }
      }
    }
  }
}

/**
 * Gradient of the split form: slice s of gdw belongs to images [s*per, (s+1)*per). Each slice
 * goes through the unsplit rule on all images and a 0/1 image mask keeps its own; S times the
 * work of the unsplit rule, but only second-order derivatives through dw ever come here.
 */
function splitGradWeightGrad(gdw: Tensor, x: Tensor, gy: Tensor, attrs: ConvAttrs, splits: number): [Tensor, Tensor] {
  const N = x.shape[0]!;
  const per = Math.ceil(N / splits);
  const wShape = gdw.shape.slice(1);
  let dx: Tensor | undefined;
  let dgy: Tensor | undefined;
  for (let s = 0; s < splits; s++) {
    const w = gdw.slice([s, 0, 0, 0, 0], [1, ...wShape]).reshape(wShape);
    const mask = gdw.graph.constantData(Float32Array.from({ length: N }, (_, n) => (Math.floor(n / per) === s ? 1 : 0)), [N, 1, 1, 1]);
    const gx = gdw.graph.apply('conv2d_grad_input', [gy.mul(mask), w], { ...attrs, inputShape: [...x.shape] });
    const gg = gdw.graph.apply('conv2d', [x, w], attrs).mul(mask);
    dx = dx ? dx.add(gx) : gx;
    dgy = dgy ? dgy.add(gg) : gg;
  }
  return [dx!, dgy!];
}

const convAttrs = (g: ConvGeometry) => ({ stride: [g.sh, g.sw], pad: [g.ph, g.pw] });

const conv2dDef: KernelOpDef<'conv2d'> = {
  name: 'conv2d',
  infer(inputs, attrs) {
    const [x, w] = inputs as [Node, Node];
    const g = convGeometry('conv2d', x.shape, w.shape, attrs);
    return { shape: [g.N, g.O, g.OH, g.OW], dtype: 'f32' };
  },
  cpu(inputs, ctx) {
    const [x, w] = inputs as [TypedArray, TypedArray];
    const g = convGeometry('conv2d', ctx.inputs[0]!.shape, ctx.inputs[1]!.shape, ctx.node.attrs);
    const P = g.OH * g.OW;
    const Kc = g.C * g.kh * g.kw;
    const y = new Float32Array(g.N * g.O * P);
    const acc = new Float64Array(P);
    for (let n = 0; n < g.N; n++) {
      for (let o = 0; o < g.O; o++) {
        acc.fill(0);
        for (let c = 0; c < g.C; c++) forEachTap(g, n, c, (xi, p, wi) => (acc[p]! += x[xi]! * w[o * Kc + wi]!));
        y.set(acc, (n * g.O + o) * P);
      }
    }
    return y;
  },
  grad(gy, ctx) {
    const [x, w] = ctx.inputs as [Tensor, Tensor];
    const g = convGeometry('conv2d', x.shape, w.shape, ctx.attrs);
    const dx = gy.graph.apply('conv2d_grad_input', [gy, w], { ...convAttrs(g), inputShape: [...x.shape] });
    const splits = gradWeightSplits(g);
    const dw = splits > 1
      ? gy.graph.apply('conv2d_grad_weight', [x, gy], { ...convAttrs(g), kernel: [g.kh, g.kw], splits }).sum(0)
      : gy.graph.apply('conv2d_grad_weight', [x, gy], { ...convAttrs(g), kernel: [g.kh, g.kw] });
    return [dx, dw];
  },
  kernel(ctx) {
    const g = convGeometry('conv2d', ctx.inputs[0]!.shape, ctx.inputs[1]!.shape, ctx.node.attrs);
    if (isPointwise(g)) return conv2dForwardPointwiseKernel(g, ctx.epilogue, ctx.target);
    return directForwardApplies(g) ? conv2dForwardDirectKernel(g, ctx.epilogue, undefined, ctx.target) : conv2dForwardKernel(g, undefined, ctx.epilogue, undefined, ctx.target);
  },
  fusesEpilogue: true,
};

const conv2dGradInputDef: KernelOpDef<'conv2d_grad_input'> = {
  name: 'conv2d_grad_input',
  infer(inputs, attrs) {
    const [gy, w] = inputs as [Node, Node];
    const g = gradInputGeometry(gy, w, attrs);
    return { shape: [g.N, g.C, g.H, g.W], dtype: 'f32' };
  },
  cpu(inputs, ctx) {
    const [gy, w] = inputs as [TypedArray, TypedArray];
    const g = gradInputGeometry(ctx.inputs[0]!, ctx.inputs[1]!, ctx.node.attrs);
    const P = g.OH * g.OW;
    const Kc = g.C * g.kh * g.kw;
    const dx = new Float64Array(g.N * g.C * g.H * g.W);
    for (let n = 0; n < g.N; n++) {
      for (let c = 0; c < g.C; c++) {
        forEachTap(g, n, c, (xi, p, wi) => {
          for (let o = 0; o < g.O; o++) dx[xi]! += gy[(n * g.O + o) * P + p]! * w[o * Kc + wi]!;
        });
      }
    }
    return Float32Array.from(dx);
  },
  grad(gdx, ctx) {
    const [gy, w] = ctx.inputs as [Tensor, Tensor];
    const attrs = { stride: ctx.attrs.stride, pad: ctx.attrs.pad };
    // dx is linear in gy (a transposed conv) and in w.
    const dgy = gdx.graph.apply('conv2d', [gdx, w], attrs);
    const dw = gdx.graph.apply('conv2d_grad_weight', [gdx, gy], { ...attrs, kernel: [w.shape[2]!, w.shape[3]!] });
    return [dgy, dw];
  },
  kernel(ctx) {
    const g = gradInputGeometry(ctx.inputs[0]!, ctx.inputs[1]!, ctx.node.attrs);
    // Thin layers (<= 4 channels) keep the pixel-strip kernel, which vectorises over channels.
    // Strided layers skip the products with the zeros the stride put there: 3x3 layers of stride 2
    // by the direct kernel over gy upsampled, other filters by phases (a GEMM each), and strided
    // 1x1 layers, which have one phase, as a matmul that also writes the other phases' zeros.
    return conv2dGradInputThinKernel(g, ctx.epilogue, ctx.target)
      ?? (directPointwiseGradInputApplies(g) ? conv2dGradInputDirectKernel(g, ctx.epilogue, undefined, ctx.target)
        : isPointwise(g) ? conv2dGradInputPointwiseKernel(g, ctx.epilogue, ctx.target)
        : directConvApplies(g) || directStridedGradInputApplies(g) ? conv2dGradInputDirectKernel(g, ctx.epilogue, undefined, ctx.target)
        : isStridedPointwise(g) ? conv2dGradInputStridedPointwiseKernel(g, undefined, ctx.epilogue, undefined, ctx.target)
        : g.sh > 1 || g.sw > 1 ? conv2dGradInputStridedKernel(g, undefined, ctx.epilogue, undefined, ctx.target)
        : conv2dGradInputKernel(g, undefined, ctx.epilogue, ctx.target));
  },
  fusesEpilogue: true,
};

const conv2dGradWeightDef: KernelOpDef<'conv2d_grad_weight'> = {
  name: 'conv2d_grad_weight',
  infer(inputs, attrs) {
    const [x, gy] = inputs as [Node, Node];
    const g = gradWeightGeometry(x, gy, attrs);
    const splits = splitsOf(attrs, g.N);
    return { shape: splits > 1 ? [splits, g.O, g.C, g.kh, g.kw] : [g.O, g.C, g.kh, g.kw], dtype: 'f32' };
  },
  cpu(inputs, ctx) {
    const [x, gy] = inputs as [TypedArray, TypedArray];
    const g = gradWeightGeometry(ctx.inputs[0]!, ctx.inputs[1]!, ctx.node.attrs);
    const splits = splitsOf(ctx.node.attrs, g.N);
    const perSplit = Math.ceil(g.N / splits);
    const P = g.OH * g.OW;
    const Kc = g.C * g.kh * g.kw;
    const dw = new Float64Array(splits * g.O * Kc);
    for (let n = 0; n < g.N; n++) {
      const slice = Math.floor(n / perSplit) * g.O * Kc;
      for (let c = 0; c < g.C; c++) {
        forEachTap(g, n, c, (xi, p, wi) => {
          for (let o = 0; o < g.O; o++) dw[slice + o * Kc + wi]! += gy[(n * g.O + o) * P + p]! * x[xi]!;
        });
      }
    }
    return Float32Array.from(dw);
  },
  grad(gdw, ctx) {
    const [x, gy] = ctx.inputs as [Tensor, Tensor];
    const attrs = { stride: ctx.attrs.stride, pad: ctx.attrs.pad };
    const splits = splitsOf(ctx.attrs, x.shape[0]!);
    if (splits > 1) return splitGradWeightGrad(gdw, x, gy, attrs, splits);
    // dw is linear in x and in gy.
    const dx = gdw.graph.apply('conv2d_grad_input', [gy, gdw], { ...attrs, inputShape: [...x.shape] });
    const dgy = gdw.graph.apply('conv2d', [x, gdw], attrs);
    return [dx, dgy];
  },
  kernel(ctx) {
    const g = gradWeightGeometry(ctx.inputs[0]!, ctx.inputs[1]!, ctx.node.attrs);
    // Thin layers (<= 4 input channels, stride 1) sweep pixel strips with every tap in registers.
    return thinGradWeightApplies(g)
      ? conv2dGradWeightThinKernel(g, splitsOf(ctx.node.attrs, g.N), ctx.epilogue)
      : conv2dGradWeightKernel(g, undefined, splitsOf(ctx.node.attrs, g.N), ctx.epilogue, ctx.target);
  },
  fusesEpilogue: true,
};

export const convOps = { conv2d: conv2dDef, conv2d_grad_input: conv2dGradInputDef, conv2d_grad_weight: conv2dGradWeightDef };
