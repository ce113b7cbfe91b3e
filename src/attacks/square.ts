/**
 * The L-inf Square Attack (score-based random search, margin loss) as AutoAttack runs it, on the
 * GPU: a start of vertical stripes x + eps * (+-1 per channel and column), then per query a square
 * window of the current best point is set to x +- eps (one sign per channel), projected back, and
 * kept where it lowers the margin z_y - max_{i != y} z_i or misclassifies. Examples already broken
 * (margin <= 0) are frozen. The per-query windows come from a host-drawn table (square-schedule.ts)
 * that a device counter indexes, so a chunk of queries is one submission without host work; the host
 * only reads the number of unbroken examples between chunks to stop early, as the reference does.
 * An example counts as broken when the final point is misclassified (argmax != y), as AutoAttack checks.
 */
import { Graph } from '../ir/graph.js';
import { OPS } from '../ops/registry.js';
import type { Tensor } from '../ir/tensor.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Program } from '../runtime/program.js';
import type { Classifier } from './classifier.js';
import { bernoulliLike } from '../ops/random.js';
import { Streams } from '../util/random.js';
import { batchTensors, batchVar, evalVar, readFlags, writeKey } from './batch.js';
import { correctMask, logitMargin } from './objectives.js';
import { squareTable, SQUARE_ROW, SQUARE_P_INIT } from './square-schedule.js';

export interface SquareSettings {
  eps: number;
  queries: number;
  pInit?: number;
}

/** Square's state of a batch, under its `eval/<batch shape>/square/` key (batch.ts). */
const state = (b: number, inputShape: readonly number[]) => ({
  xBest: evalVar(b, inputShape, 'square/x_best'),
  marginMin: evalVar(b, inputShape, 'square/margin_min'),
  lossMin: evalVar(b, inputShape, 'square/loss_min'),
  query: evalVar(b, inputShape, 'square/query'),
});

/**
 * The per-query window table [queries, 3 + c]: its shape depends on the query budget, so its name
 * does too (an evaluation block may run `square(200)` beside `autoattack`'s 5000 queries).
 */
const tableVar = (b: number, inputShape: readonly number[], queries: number) => evalVar(b, inputShape, `square/table_q${queries}`);

/** Queries per submission between early-stop checks (and, under L2, per window-table upload). */
export const SQUARE_CHUNK = 100;

interface SquarePrograms {
  start: Program;
  query: Program;
  finish: Program;
}

export class Square {
  private readonly cache = new Map<string, Promise<SquarePrograms>>();

  constructor(
    private readonly rt: Runtime,
    private readonly classify: Classifier,
    private readonly inputShape: readonly number[],
  ) {}

  /**
   * Attack the batch in the shared batch variables from its robust flags. `seed` draws the
   * windows; `key` (with each example's dataset index) the stripes of the start. `live` marks the
   * batch rows that count for early stopping (padding rows do not). Returns the new robust flags.
   */
  async run(b: number, s: SquareSettings, seed: number, key: number, live: Uint8Array, onChunk?: (queries: number) => void): Promise<Uint8Array> {
    if (this.inputShape.length !== 3) throw new Error(`Square needs image inputs [C, H, W], got [${this.inputShape.join(', ')}]`);
    const [c, h, w] = this.inputShape as [number, number, number];
    const p = await this.programs(b, s);
    const names = state(b, this.inputShape);
    const queries = s.queries;
    writeKey(this.rt, this.inputShape, b, key);
    this.rt.variables.write(tableVar(b, this.inputShape, queries), squareTable(queries, c, h, w, seed, Streams.attackStart + 307, s.pInit ?? SQUARE_P_INIT), [queries, 3 + c], 'f32');
    this.rt.variables.write(names.query, Int32Array.of(0), [1], 'i32');
    this.rt.submit([p.start]);
    await runQueryChunks(this.rt, { queries, query: p.query, marginMin: names.marginMin, live, ...(onChunk ? { onChunk } : {}) });
    this.rt.submit([p.finish]);
    return readFlags(this.rt, batchVar.robust(b, this.inputShape));
  }

  private programs(b: number, s: SquareSettings): Promise<SquarePrograms> {
    const key = `${b}|${s.eps}|${s.queries}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.compile(b, s);
      this.cache.set(key, p);
    }
    return p;
  }

  private async compile(b: number, s: SquareSettings): Promise<SquarePrograms> {
    const [start, query, finish] = await Promise.all([
      this.rt.compile(this.startGraph(b, s), { label: `square:b${b}:start` }),
      this.rt.compile(this.queryGraph(b, s), { label: `square:b${b}:query` }),
      this.rt.compile(this.finishGraph(b), { label: `square:b${b}:finish` }),
    ]);
    return { start, query, finish };
  }

  private margin(g: Graph, x: Tensor, y: Tensor): Tensor {
    return logitMargin(this.classify(g, x), y);
  }

  private startGraph(b: number, s: SquareSettings): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    const [c, , w] = this.inputShape as [number, number, number];
    const n = state(b, this.inputShape);
    const coin = bernoulliLike(g, [b, c, 1, w], { seed: 0, stream: Streams.attackStart + 308, step: t.key, rows: t.index, p: 0.5 });
    const stripes = coin.mul(2).sub(1).mul(s.eps);
    const x0 = t.x.add(stripes).clamp(0, 1);
    const margin = this.margin(g, x0, t.y);
    g.assign(g.variable(n.xBest, [b, ...this.inputShape]), x0);
    g.assign(g.variable(n.marginMin, [b]), margin);
    g.assign(g.variable(n.lossMin, [b]), margin.add(0));
    return g;
  }

  private queryGraph(b: number, s: SquareSettings): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    const [c, h, w] = this.inputShape as [number, number, number];
    const n = state(b, this.inputShape);
    const xBest = g.variable(n.xBest, [b, c, h, w]);
    const marginMin = g.variable(n.marginMin, [b]);
    const lossMin = g.variable(n.lossMin, [b]);
    const query = g.variable(n.query, [1], 'i32');
    const row = g.variable(tableVar(b, this.inputShape, s.queries), [s.queries, 3 + c]).gather(query, 0); // [1, 3 + c]
    const col = (j: number) => row.slice([0, j], [1, 1]).reshape([1, 1, 1, 1]);
    const top = col(SQUARE_ROW.top);
    const left = col(SQUARE_ROW.left);
    const side = col(SQUARE_ROW.side);
    const signs = row.slice([0, SQUARE_ROW.signs], [1, c]).reshape([1, c, 1, 1]);
    const rows = g.constantData(Float32Array.from({ length: h }, (_, i) => i), [1, 1, h, 1]);
    const cols = g.constantData(Float32Array.from({ length: w }, (_, i) => i), [1, 1, 1, w]);
    const window = rows.ge(top).mul(rows.lt(top.add(side))).mul(cols.ge(left)).mul(cols.lt(left.add(side)));
    // Inside the window the candidate is x_best + 2 eps * sign, which the projection turns into x +- eps.
    const candidate = xBest.add(window.mul(signs).mul(2 * s.eps)).maximum(t.x.sub(s.eps)).minimum(t.x.add(s.eps)).clamp(0, 1);
    acceptCandidate(g, { candidate, margin: this.margin(g, candidate, t.y), xBest, marginMin, lossMin });
    g.assign(query, query.add(1));
    return g;
  }

  private finishGraph(b: number): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    const xBest = g.variable(state(b, this.inputShape).xBest, [b, ...this.inputShape]);
    const logits = this.classify(g, xBest);
    g.assign(t.robust, t.robust.mul(correctMask(logits, t.y)));
    return g;
  }
}

/**
 * The random search's acceptance, shared by the L-inf and L2 attacks: a candidate replaces x_best
 * where it lowers the margin or misclassifies; broken examples (margin <= 0) stay frozen.
 * `candidate` [B, C, H, W], `margin` [B]; the state variables are updated in place.
 */
export function acceptCandidate(g: Graph, v: { candidate: Tensor; margin: Tensor; xBest: Tensor; marginMin: Tensor; lossMin: Tensor }): void {
  const { candidate, margin, xBest, marginMin, lossMin } = v;
  const active = marginMin.gt(0);
  const lowered = margin.lt(lossMin).mul(active);
  const accept = lowered.maximum(margin.le(0)).mul(active);
  g.assign(lossMin, lowered.select(margin, lossMin));
  g.assign(marginMin, accept.select(margin, marginMin));
  g.assign(xBest, accept.reshape([candidate.shape[0]!, 1, 1, 1]).select(candidate, xBest));
}

/**
 * Submit `queries` runs of the query program in chunks of SQUARE_CHUNK, reading the margins between
 * chunks to stop once every live example is broken (the reference stops when all are).
 * `beforeChunk(done, n)` prepares a chunk's inputs (the L2 attack uploads its window table).
 */
export async function runQueryChunks(
  rt: Runtime,
  o: { queries: number; query: Program; marginMin: string; live: Uint8Array; beforeChunk?: (done: number, n: number) => void; onChunk?: (queries: number) => void },
): Promise<void> {
  for (let done = 0; done < o.queries; ) {
    const n = Math.min(SQUARE_CHUNK, o.queries - done);
    o.beforeChunk?.(done, n);
    rt.submit(Array.from({ length: n }, () => o.query));
    done += n;
    o.onChunk?.(done);
    const margins = await rt.variables.read(o.marginMin);
    if (!margins.some((m, i) => o.live[i] === 1 && m > 0)) break;
  }
}
