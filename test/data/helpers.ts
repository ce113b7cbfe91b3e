import { expect } from 'vitest';
import { DataError } from '../../src/data/index.js';

/** Runs `fn`, asserts it throws a DataError, and returns it for message checks. */
export function catchDataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}
