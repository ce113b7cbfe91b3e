/**
 * The tensor arithmetic of `forward` (`a + b`, `a - b`, `a * b` on two tensors of one shape, as in
 * a residual block), one entry each: the verb of its shape message and its graph op. The checker
 * (src/check/shapes.ts) and the lowering (src/lower/model.ts) both read this table.
 */
import type { Tensor } from '../ir/tensor.js';

export interface ForwardArithmetic {
  /** For "cannot {verb} tensors of shapes ...". */
  verb: string;
  lower(a: Tensor, b: Tensor): Tensor;
}

export const forwardArithmetic = {
  add: { verb: 'add', lower: (a, b) => a.add(b) },
  sub: { verb: 'subtract', lower: (a, b) => a.sub(b) },
  mul: { verb: 'multiply', lower: (a, b) => a.mul(b) },
} satisfies Record<string, ForwardArithmetic>;

export type ForwardArithmeticOp = keyof typeof forwardArithmetic;
