/**
 * A broken invariant: something an earlier stage guarantees did not hold (the checker accepted
 * what the lowering cannot lower, an op was registered without a kernel, a graph node is missing).
 * It is always a bug in matc, never the user's input, so the CLI reports it as an internal error
 * with exit code 2 (src/util/errors.ts); its own class lets tests and callers tell such bugs from
 * the errors that carry meaning for users (DataError, CheckpointError, UserError, ...).
 */
export class InternalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}
