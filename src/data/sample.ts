/**
 * Random subsets that are reproducible and nested: an example is kept when its hash of
 * (seed, original index) is among the `size` smallest, so the subset of 1000 is contained in
 * the subset of 2000 for the same seed, and the choice does not depend on the dataset's order.
 */
import { Streams, hashKey } from '../util/random.js';
import { subset, type Dataset } from './dataset.js';

/** `size` examples of `ds` chosen at random, kept in their order in `ds`. */
export function randomSubset(ds: Dataset, size: number, seed: number): Dataset {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`randomSubset: size must be a non-negative integer, got ${size}`);
  if (size >= ds.n) return subset(ds, {});
  const hashes = new Uint32Array(ds.n);
  for (let i = 0; i < ds.n; i++) hashes[i] = hashKey(seed, Streams.subset, ds.indices[i]!);
  // Ties are broken by original index so the choice never depends on the current order.
  const byKey = Array.from({ length: ds.n }, (_, i) => i).sort((a, b) => hashes[a]! - hashes[b]! || ds.indices[a]! - ds.indices[b]!);
  const keep = byKey.slice(0, size).sort((a, b) => a - b);
  return subset(ds, { indices: keep });
}
