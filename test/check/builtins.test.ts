/**
 * The table of built-in functions (src/builtins/): every function can run where the checker lets
 * it appear, and the schedule functions are exactly those with a host value.
 */
import { describe, expect, test } from 'vitest';
import { builtinFunctions, scheduleFunctions } from '../../src/builtins/index.js';
import type { FunctionName } from '../../src/typed/function-names.js';

const names = Object.keys(builtinFunctions) as FunctionName[];

describe('the built-in function table', () => {
  test('functions allowed in objectives have a lowering; schedule-only ones a host value', () => {
    for (const name of names) {
      const f = builtinFunctions[name];
      if (f.scheduleOnly) expect(f.evaluate, name).toBeDefined();
      else expect(f.lower, name).toBeDefined();
    }
  });

  test('schedules may use the functions with a host value, in the order messages list them', () => {
    expect([...scheduleFunctions]).toEqual(['exp', 'log', 'abs', 'sqrt', 'cos', 'max', 'min', 'ramp', 'sigmoid_ramp']);
  });

  test('host values', () => {
    const at = (name: FunctionName, ...args: number[]) => builtinFunctions[name].evaluate!(args);
    expect(at('exp', 0)).toBe(1);
    expect(at('max', 1, 3, 2)).toBe(3);
    expect(at('min', 1, 3)).toBe(1);
    expect(at('ramp', 120, 90, 150)).toBeCloseTo(0.5, 12);
    expect(at('sigmoid_ramp', 150, 90, 150)).toBe(1);
  });
});
