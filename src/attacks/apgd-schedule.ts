/**
 * APGD's step-size checkpoints (Croce & Hein 2020; fra31/auto-attack `autopgd_base.py`).
 * The first window has n_iter_2 = max(floor(0.22 n), 1) iterations; each later window is
 * size_decr = max(floor(0.03 n), 1) shorter, but never shorter than n_iter_min = max(floor(0.06 n), 1).
 * A check happens when a window is complete; iterations after the last complete window have none.
 * For n = 100 the checks fall after iterations 22, 41, 57, 70, 80, 87, 93, 99 — the paper's
 * p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), times n.
 */
export interface ApgdWindow {
  /** Iterations in this window (the `k` of the oscillation test). */
  length: number;
  /** 1-based count of iterations done when the check runs. */
  checkAfter: number;
}

export const APGD_RHO = 0.75;

export function apgdWindows(nIter: number): ApgdWindow[] {
  if (!Number.isInteger(nIter) || nIter < 1) throw new RangeError(`APGD needs a positive iteration count, got ${nIter}`);
  const sizeDecr = Math.max(Math.floor(0.03 * nIter), 1);
  const minLength = Math.max(Math.floor(0.06 * nIter), 1);
  const windows: ApgdWindow[] = [];
  let k = Math.max(Math.floor(0.22 * nIter), 1);
  let done = 0;
  while (done + k <= nIter) {
    done += k;
    windows.push({ length: k, checkAfter: done });
    k = Math.max(k - sizeDecr, minLength);
  }
  return windows;
}

/** The iteration counts after which APGD checks its step size. */
export function apgdCheckpoints(nIter: number): number[] {
  return apgdWindows(nIter).map((w) => w.checkAfter);
}
