/**
 * Dropping and replacing variables: a runtime can be reused for a model whose variables have the
 * same names and other shapes, and programs compiled against a dropped or replaced variable are
 * refused with an error naming both, instead of submitting freed buffers to the GPU.
 */
import { describe, it, expect } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { StaleProgramError } from '../../src/runtime/errors.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { sharedTestRuntime } from '../helpers/gpu.js';

/** out <- 2 * w, for a variable w of `size` values. */
async function doubler(rt: Runtime, size: number, label: string) {
  const g = new Graph(OPS);
  const w = g.variable('t/w', [size]);
  g.assign(g.variable('t/out', [size]), w.mul(2));
  return rt.compile(g, { label });
}

describe('VariableStore: drop, clear, redeclare', () => {
  it('redeclares a variable with a new shape and refuses programs compiled against the old one', async () => {
    const rt = await sharedTestRuntime();
    const s = rt.variables;
    s.write('t/w', [1, 2, 3], [3], 'f32');
    const small = await doubler(rt, 3, 'double3');
    small.run();
    expect(Array.from(await s.read('t/out'))).toEqual([2, 4, 6]);

    // The same shape keeps the variable (and its programs).
    const before = s.get('t/w');
    expect(s.redeclare('t/w', [3])).toBe(before);
    small.run();

    // ensure stays strict; redeclare replaces (zero-filled) and invalidates.
    expect(() => s.ensure('t/w', [5])).toThrow(/is f32\[3\], asked for f32\[5\]/);
    const replaced = s.redeclare('t/w', [5]);
    expect(replaced.shape).toEqual([5]);
    expect(Array.from(await s.read('t/w'))).toEqual([0, 0, 0, 0, 0]);
    expect(() => small.run()).toThrow(StaleProgramError);
    expect(() => small.run()).toThrow(/program 'double3' was compiled against variable 't\/w', which has since been dropped or replaced/);
    expect(() => rt.submit([small])).toThrow(StaleProgramError);

    s.redeclare('t/out', [5]);
    s.write('t/w', [1, 2, 3, 4, 5]);
    const large = await doubler(rt, 5, 'double5');
    large.run();
    expect(Array.from(await s.read('t/out'))).toEqual([2, 4, 6, 8, 10]);
    await rt.sync();
  });

  it('drops one variable or all of them', async () => {
    const rt = await sharedTestRuntime();
    const s = rt.variables;
    s.clear();
    expect(s.names()).toEqual([]);
    s.write('t/w', [1, 2], [2], 'f32');
    const p = await doubler(rt, 2, 'double2');
    p.run();
    expect(s.drop('t/out')).toBe(true);
    expect(s.drop('t/out')).toBe(false);
    expect(s.has('t/out')).toBe(false);
    expect(() => p.run()).toThrow(/variable 't\/out'/);
    // A new variable of the same name is another buffer: the program stays refused.
    s.ensure('t/out', [2]);
    expect(() => p.run()).toThrow(StaleProgramError);

    const q = await doubler(rt, 2, 'double2b');
    q.run();
    expect(Array.from(await s.read('t/out'))).toEqual([2, 4]);
    s.clear();
    expect(s.names()).toEqual([]);
    expect(() => q.run()).toThrow(StaleProgramError);
    // With its variables declared anew (other shapes), one runtime serves another model.
    s.write('t/w', [1, 2, 3, 4], [4], 'f32');
    const r = await doubler(rt, 4, 'double4');
    r.run();
    expect(Array.from(await s.read('t/out'))).toEqual([2, 4, 6, 8]);
    await rt.sync();
  });
});
