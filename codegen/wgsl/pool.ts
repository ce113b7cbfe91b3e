/**
 * 2-D pooling kernels on NCHW tensors: the helpers every pooling kernel shares, and average
 * pooling (max pooling is in maxpool.ts). Windows are tiny (2x2, 3x3, or a global H x W once per
 * channel), so one invocation per output element (forward) or per input element (gradient)
 * with the window loops unrolled by the compiler is the right shape; the gradients gather
 * from the windows that cover an input pixel, so no two invocations write the same element
 * and no atomics are needed.
 */
import { bindingsWGSL, dispatch1d, flatIndexWGSL, FLAT_BUILTINS } from './dispatch.js';

export interface PoolGeometry {
  /** N * C planes. */
  planes: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  OH: number;
  OW: number;
}

export interface PoolKernel {
  code: string;
  workgroups: [number, number, number];
}

const WG = 64;

function constants(g: PoolGeometry): string {
  return `const H = ${g.H}i; const W = ${g.W}i; const KH = ${g.kh}i; const KW = ${g.kw}i;
const SH = ${g.sh}i; const SW = ${g.sw}i; const PH = ${g.ph}i; const PW = ${g.pw}i; const OH = ${g.OH}i; const OW = ${g.OW}i;`;
}

/**
 * Loop over the output windows that cover input pixel (iy, ix): oy with
 * oy*SH - PH <= iy < oy*SH - PH + KH, clipped to the output. (iy + PH - KH + SH) / SH is
 * ceil((iy + PH - KH + 1) / SH) for a non-negative numerator; a negative one truncates toward
 * zero, which max(0, .) absorbs.
 */
export function coveringWindows(body: string): string {
  return `  let oyLo = max(0i, (iy + PH - KH + SH) / SH);
  let oyHi = min(OH - 1i, (iy + PH) / SH);
  let oxLo = max(0i, (ix + PW - KW + SW) / SW);
  let oxHi = min(OW - 1i, (ix + PW) / SW);
  for (var oy = oyLo; oy <= oyHi; oy++) {
    for (var ox = oxLo; ox <= oxHi; ox++) {
${body}
    }
  }`;
}

/** Flat output index -> (plane, oy, ox), or input index -> (plane, iy, ix). */
export function unravel(idx: string, rows: string, cols: string, y: string, x: string): string {
  return `  let plane = ${idx} / u32(${rows} * ${cols});
  let rem = i32(${idx} % u32(${rows} * ${cols}));
  let ${y} = rem / ${cols};
  let ${x} = rem % ${cols};`;
}

/** One invocation per element of a 1-D grid of `threads`; binding types are WGSL scalar types. */
export function poolKernel(g: PoolGeometry, threads: number, inputTypes: string[], outputType: string, body: string, extra = ''): PoolKernel {
  const code = `${bindingsWGSL(inputTypes, outputType)}
${constants(g)}
${extra}
@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  ${flatIndexWGSL('idx', WG)}
  if (idx >= ${threads}u) { return; }
${body}
}
`;
  return { code, workgroups: dispatch1d(threads, WG) };
}

/** y = avgpool2d(x): binding 0 = x; padding counts in the divisor (count_include_pad). */
export function avgPoolKernel(g: PoolGeometry): PoolKernel {
  return poolKernel(g, g.planes * g.OH * g.OW, ['f32'], 'f32', `${unravel('idx', 'OH', 'OW', 'oy', 'ox')}
  let base = plane * u32(H * W);
  var acc = 0.0;
  for (var ky = 0i; ky < KH; ky++) {
    let iy = oy * SH - PH + ky;
    if (iy < 0 || iy >= H) { continue; }
    for (var kx = 0i; kx < KW; kx++) {
      let ix = ox * SW - PW + kx;
      if (ix < 0 || ix >= W) { continue; }
      acc += in0[base + u32(iy * W + ix)];
    }
  }
  out[idx] = acc * ${1 / (g.kh * g.kw)};`);
}

/** dx = avgpool2d_grad(gy): binding 0 = gy; one invocation per input pixel. */
export function avgPoolGradKernel(g: PoolGeometry): PoolKernel {
  return poolKernel(g, g.planes * g.H * g.W, ['f32'], 'f32', `${unravel('idx', 'H', 'W', 'iy', 'ix')}
  var acc = 0.0;
${coveringWindows(`      acc += in0[(plane * u32(OH) + u32(oy)) * u32(OW) + u32(ox)];`)}
  out[idx] = acc * ${1 / (g.kh * g.kw)};`);
}
