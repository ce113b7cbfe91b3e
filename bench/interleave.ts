/**
 * Compare several systems on a shared, loaded machine: run one step of each in turn, waiting
 * for each to finish, for several rounds. A change in the machine's load during the run then
 * hits every contender alike (on a software adapter the GPU is the CPU, and the load of a shared
 * machine moves by 2x within minutes), so the ratios stay meaningful even when absolute numbers
 * do not. Per-round times are kept so the spread can be shown.
 */
export interface Contender {
  name: string;
  /** One whole step, resolved when the device has finished it. */
  step(): Promise<void>;
}

export interface InterleavedResult {
  name: string;
  /** Seconds of each round's step. */
  rounds: number[];
  totalSeconds: number;
}

export async function interleave(contenders: readonly Contender[], rounds: number, onRound?: (round: number, seconds: number[]) => void): Promise<InterleavedResult[]> {
  const results = contenders.map((c) => ({ name: c.name, rounds: [] as number[], totalSeconds: 0 }));
  for (let r = 0; r < rounds; r++) {
    const times: number[] = [];
    for (let i = 0; i < contenders.length; i++) {
      const t0 = performance.now();
      await contenders[i]!.step();
      const s = (performance.now() - t0) / 1000;
      results[i]!.rounds.push(s);
      results[i]!.totalSeconds += s;
      times.push(s);
    }
    onRound?.(r, times);
  }
  return results;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Per-round ratio a/b of step times (so > 1 means b is faster). */
export function roundRatios(a: InterleavedResult, b: InterleavedResult): number[] {
  return a.rounds.map((t, i) => t / b.rounds[i]!);
}
