/**
 * Rank statistics for comparing measures and rankings: Kendall's tau-b (the statistic Jiang et
 * al. 2020 report between a complexity measure and the generalization gap), Spearman's rho with
 * average ranks for ties, and the overlap of two "hardest k" sets with the overlap chance gives.
 */

/** Kendall's tau-b: (concordant - discordant) / sqrt((n0 - ties_x)(n0 - ties_y)); NaN when undefined. */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error('kendallTau: the two lists differ in length');
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denom === 0 ? NaN : (concordant - discordant) / denom;
}

/** 1-based ranks, ties sharing the average of their positions. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = rank;
    i = j + 1;
  }
  return ranks;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman's rho: the Pearson correlation of the average ranks. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error('spearman: the two lists differ in length');
  return pearson(averageRanks(x), averageRanks(y));
}

/** Indices of the `fraction` largest values (the hardest examples by loss); ties broken by index. */
export function topFraction(values: readonly number[], fraction: number): number[] {
  const k = Math.max(1, Math.round(values.length * fraction));
  return values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map(([, i]) => i);
}

/**
 * Overlap of two top-k sets of n items, as a fraction of k, and what two independent random
 * k-subsets overlap in expectation (k/n).
 */
export function topOverlap(a: readonly number[], b: readonly number[], n: number): { overlap: number; chance: number; k: number } {
  const k = a.length;
  const inA = new Set(a);
  const shared = b.filter((i) => inA.has(i)).length;
  return { overlap: shared / k, chance: k / n, k };
}
