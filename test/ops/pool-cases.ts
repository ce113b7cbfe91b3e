/** Pooling test cases shared by pool.test.ts (average) and maxpool.test.ts (max). */
import { randn } from '../helpers/op-harness.js';

export type Pair = [number, number];
export interface Case {
  x: [number, number, number, number];
  k: Pair;
  stride: Pair;
  pad: Pair;
}
export const label = (c: Case) => `x[${c.x}] k${c.k} s${c.stride} p${c.pad}`;
export const input = (c: Case, seed: number, data?: Float32Array) => [{ name: 'x', shape: [...c.x], data: data ?? randn([...c.x], seed) }];
