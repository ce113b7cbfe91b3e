/**
 * RNG counters for per-example draws. Keying on the example's ORIGINAL dataset index (never its
 * position in a batch or subset) is what makes augmentation and label noise independent of
 * batch order, batch size, subsetting and resume.
 */

/** Examples per epoch block: 2^20 covers every supported split (SVHN train+extra is ~604k). */
const EPOCH_STRIDE = 1 << 20;

/** Counter for a draw that changes every epoch: epoch * 2^20 + index, modulo 2^32. */
export function epochExampleCounter(epoch: number, index: number): number {
  return (Math.imul(epoch, EPOCH_STRIDE) + index) >>> 0;
}
