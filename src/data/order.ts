/**
 * The order examples are visited in during an epoch. Shuffling sorts positions by a 32-bit hash
 * of (seed, epoch, position): reproducible from those three numbers alone (so a resumed run sees
 * the same batches), different every epoch, and free of the modulo bias a counter-driven
 * Fisher-Yates would have for large n.
 */
import { Streams, hashKey } from '../util/random.js';
import { identityIndices } from './dataset.js';
import { epochExampleCounter } from './counters.js';

export function epochOrder(n: number, epoch: number, seed: number, shuffle: boolean): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`epochOrder: n must be a non-negative integer, got ${n}`);
  const order = identityIndices(n);
  if (!shuffle) return order;
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = hashKey(seed, Streams.shuffle, epochExampleCounter(epoch, i));
  // Ties (probability ~n^2/2^33) fall back to position so the result never depends on sort stability.
  return order.sort((a, b) => keys[a]! - keys[b]! || a - b);
}
