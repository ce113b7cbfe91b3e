/**
 * The variables a program bound when it was compiled. Its bind groups and copies hold their
 * buffers, so once the store drops or replaces one of them (VariableStore.drop, clear, redeclare)
 * the program must not run: Dawn would reject the submission with a validation error at some
 * later synchronisation point, far from the cause. The guard turns that into an immediate error
 * that names the program and the variable. Checking costs one comparison per run unless the store
 * has dropped something since the last check.
 */
import type { Variable, VariableStore } from './variables.js';
import type { DType } from '../ir/graph.js';
import { StaleProgramError } from './errors.js';

export class VariableGuard {
  private readonly bound = new Map<string, Variable>();
  private checked: number;

  constructor(private readonly store: VariableStore) {
    this.checked = store.generation;
  }

  /** `store.ensure`, remembering the variable as one the program binds. */
  bind(name: string, shape: readonly number[], dtype: DType): Variable {
    const v = this.store.ensure(name, shape, dtype);
    this.bound.set(name, v);
    return v;
  }

  /** Throw StaleProgramError if a bound variable was dropped or replaced. */
  check(program: string): void {
    if (this.checked === this.store.generation) return;
    for (const v of this.bound.values()) if (!this.store.isCurrent(v)) throw new StaleProgramError(program, v.name);
    this.checked = this.store.generation;
  }
}
