/**
 * Symmetric label noise, as in the random-label experiments: each example is picked with
 * probability `rate`, and a picked example gets a class drawn uniformly from ALL classes (so it
 * keeps its label with probability 1/classes). Both draws are keyed on the original dataset
 * index and the seed only, so the noisy labels are fixed for the whole run, identical after a
 * resume and the same for an example whatever subset or order it appears in.
 */
import { Streams, randint, uniform } from '../util/random.js';
import type { Dataset } from './dataset.js';

export interface LabelNoiseResult {
  readonly labels: Int32Array;
  /** 1 where the label was resampled (it may still equal the original), else 0. */
  readonly resampled: Uint8Array;
  readonly resampledCount: number;
  /** Examples whose label actually differs from the original. */
  readonly changedCount: number;
}

/**
 * Applies noise to `labels`. `indices[i]` is the original dataset index of example i; it defaults
 * to i, which is right for a whole split as loaded.
 */
export function applyLabelNoise(
  labels: Int32Array,
  classes: number,
  rate: number,
  seed: number,
  indices?: Int32Array,
): LabelNoiseResult {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`label noise rate must be in [0, 1], got ${rate}`);
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`label noise needs a positive class count, got ${classes}`);
  if (indices && indices.length !== labels.length) throw new RangeError(`label noise: ${indices.length} indices for ${labels.length} labels`);
  const out = new Int32Array(labels);
  const resampled = new Uint8Array(labels.length);
  let resampledCount = 0;
  let changedCount = 0;
  for (let i = 0; i < labels.length; i++) {
    const index = indices ? indices[i]! : i;
    if (uniform(seed, Streams.labelNoise, index) >= rate) continue;
    out[i] = randint(seed, Streams.labelNoiseClass, index, classes);
    resampled[i] = 1;
    resampledCount++;
    if (out[i] !== labels[i]) changedCount++;
  }
  return { labels: out, resampled, resampledCount, changedCount };
}

/** A copy of `ds` with noisy labels (keyed on ds.indices), plus the noise bookkeeping. */
export function withLabelNoise(ds: Dataset, rate: number, seed: number): { dataset: Dataset; noise: LabelNoiseResult } {
  const noise = applyLabelNoise(ds.labels, ds.classes, rate, seed, ds.indices);
  return { dataset: { ...ds, labels: noise.labels }, noise };
}
