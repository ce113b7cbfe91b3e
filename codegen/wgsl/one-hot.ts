/** WGSL for one_hot: one invocation per output element. */
import type { Kernel } from '../../src/ir/op.js';
import { bindingsWGSL, dispatch1d, flatIndexWGSL, FLAT_BUILTINS } from './dispatch.js';

const WG = 64;

/** one_hot: out[i] = 1 where labels[i / classes] == i % classes; labels outside [0, classes) give a zero row. */
export function oneHotKernel(count: number, classes: number): Kernel {
  const code = `${bindingsWGSL(['i32'], 'f32')}

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  ${flatIndexWGSL('i', WG)}
  if (i >= ${count * classes}u) { return; }
  out[i] = select(0.0, 1.0, in0[i / ${classes}u] == i32(i % ${classes}u));
}
`;
  return { code, workgroups: dispatch1d(count * classes, WG) };
}
