/**
 * The L2 Square Attack (score-based random search, margin loss) as AutoAttack runs it
 * (fra31/auto-attack `square.py`, norm 'L2', p_init 0.8, no schedule rescaling), on the GPU.
 *
 * Start: eta(s0) patterns on a grid of windows, a random sign per example, channel and window,
 * scaled to L2 norm eps, x_best = clip(x + that, 0, 1) (square-l2-schedule.ts).
 * Query i, with delta = x_best - x and two windows W1, W2 of side s_i (shared by the batch), per
 * example and channel:
 *   new = eta(s_i) * sign + delta[W1] / |delta[W1]|         (sign per example and channel)
 *   new = new / |new| * sqrt(max(eps^2 - |delta|^2, 0) / c + |delta[W1 u W2]|^2)
 *   delta[W2] = 0, delta[W1] = new                           (mass moves from W2 into W1)
 *   candidate = clip(x + eps * delta / |delta|, 0, 1)         (the L2 norm kept at eps before clipping)
 * norms over the window's pixels per channel, |delta| over the whole example, each with 1e-12 in
 * the denominators as the reference. A candidate replaces x_best where it lowers the margin
 * z_y - max_{i != y} z_i or misclassifies; broken examples (margin <= 0) are frozen; the final point
 * decides (argmax != y), as AutoAttack checks it.
 *
 * The per-query windows and pattern images come from a host table uploaded per chunk of queries
 * (one h x w image per query), indexed by a device counter, so a chunk is one submission; the host
 * reads the margins between chunks to stop early, as the reference stops when all are broken.
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
import { exampleNorm } from '../lower/perturbation.js';
import { SQUARE_P_INIT } from './square-schedule.js';
import { squareL2ChunkTable, squareL2StartPatterns, squareL2Windows, SQUARE_L2_CHUNK_HEADER, SQUARE_L2_ROW } from './square-l2-schedule.js';
import { acceptCandidate, runQueryChunks, SQUARE_CHUNK, type SquareSettings } from './square.js';


const STREAM = {
  windows: Streams.attackStart + 311,
  startTranspose: Streams.attackStart + 312,
  startSigns: Streams.attackStart + 313,
  querySigns: Streams.attackStart + 314,
};

/** The L2 attack's state of a batch, under `eval/<batch shape>/square-l2/`. */
const state = (b: number, inputShape: readonly number[]) => ({
  xBest: evalVar(b, inputShape, 'square-l2/x_best'),
  marginMin: evalVar(b, inputShape, 'square-l2/margin_min'),
  lossMin: evalVar(b, inputShape, 'square-l2/loss_min'),
  /** Row of the chunk table the next query reads. */
  slot: evalVar(b, inputShape, 'square-l2/slot'),
  /** u32 key of the next query's sign draws: the run's key plus the query number. */
  step: evalVar(b, inputShape, 'square-l2/step'),
  chunk: evalVar(b, inputShape, 'square-l2/chunk'),
  start: evalVar(b, inputShape, 'square-l2/start_patterns'),
});

interface Programs {
  start: Program;
  query: Program;
  finish: Program;
}

export class SquareL2 {
  private readonly cache = new Map<string, Promise<Programs>>();

  constructor(
    private readonly rt: Runtime,
    private readonly classify: Classifier,
    private readonly inputShape: readonly number[],
  ) {}

  /**
   * As Square.run: `seed` draws the windows (shared by the batch), `key` with each example's
   * dataset index the signs; `live` marks the rows that count for early stopping.
   */
  async run(b: number, s: SquareSettings, seed: number, key: number, live: Uint8Array, onChunk?: (queries: number) => void): Promise<Uint8Array> {
    if (this.inputShape.length !== 3) throw new Error(`Square needs image inputs [C, H, W], got [${this.inputShape.join(', ')}]`);
    const [, h, w] = this.inputShape as [number, number, number];
    const start = squareL2StartPatterns(h, w, seed, STREAM.startTranspose);
    const p = await this.programs(b, s, start.count);
    const names = state(b, this.inputShape);
    writeKey(this.rt, this.inputShape, b, key);
    this.rt.variables.write(names.start, start.images, [start.count, h * w], 'f32');
    this.rt.submit([p.start]);
    const windows = squareL2Windows(s.queries, h, w, seed, STREAM.windows, s.pInit ?? SQUARE_P_INIT);
    const beforeChunk = (done: number, n: number) => {
      this.rt.variables.write(names.chunk, squareL2ChunkTable(windows, done, n, SQUARE_CHUNK, h, w), [SQUARE_CHUNK, SQUARE_L2_CHUNK_HEADER + h * w], 'f32');
      this.rt.variables.write(names.slot, Int32Array.of(0), [1], 'i32');
    };
    await runQueryChunks(this.rt, { queries: s.queries, query: p.query, marginMin: names.marginMin, live, beforeChunk, ...(onChunk ? { onChunk } : {}) });
    this.rt.submit([p.finish]);
    return readFlags(this.rt, batchVar.robust(b, this.inputShape));
  }

  private programs(b: number, s: SquareSettings, startWindows: number): Promise<Programs> {
    const key = `${b}|${s.eps}|${startWindows}`;
    let p = this.cache.get(key);
    if (!p) {
      p = (async () => {
        const [start, query, finish] = await Promise.all([
          this.rt.compile(this.startGraph(b, s, startWindows), { label: `square-l2:b${b}:start` }),
          this.rt.compile(this.queryGraph(b, s), { label: `square-l2:b${b}:query` }),
          this.rt.compile(this.finishGraph(b), { label: `square-l2:b${b}:finish` }),
        ]);
        return { start, query, finish };
      })();
      this.cache.set(key, p);
    }
    return p;
  }

  private margin(g: Graph, x: Tensor, y: Tensor): Tensor {
    return logitMargin(this.classify(g, x), y);
  }

  private startGraph(b: number, s: SquareSettings, windows: number): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    const [c, h, w] = this.inputShape as [number, number, number];
    const n = state(b, this.inputShape);
    const signs = bernoulliLike(g, [b, c, windows], { seed: 0, stream: STREAM.startSigns, step: t.key, rows: t.index, p: 0.5 }).mul(2).sub(1);
    const patterns = g.variable(n.start, [windows, h * w]);
    const delta = signs.reshape([b * c, windows]).matmul(patterns).reshape([b, c, h, w]);
    const x0 = onSphere(t.x, delta, s.eps);
    const margin = this.margin(g, x0, t.y);
    g.assign(g.variable(n.xBest, [b, c, h, w]), x0);
    g.assign(g.variable(n.marginMin, [b]), margin);
    g.assign(g.variable(n.lossMin, [b]), margin.add(0));
    g.assign(g.variable(n.step, [1], 'u32'), t.key.add(0));
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
    const slot = g.variable(n.slot, [1], 'i32');
    const step = g.variable(n.step, [1], 'u32');
    const row = g.variable(n.chunk, [SQUARE_CHUNK, SQUARE_L2_CHUNK_HEADER + h * w]).gather(slot, 0);
    const signs = bernoulliLike(g, [b, c, 1, 1], { seed: 0, stream: STREAM.querySigns, step, rows: t.index, p: 0.5 }).mul(2).sub(1);
    const candidate = squareL2Candidate(t.x, xBest, row, signs, s.eps);
    acceptCandidate(g, { candidate, margin: this.margin(g, candidate, t.y), xBest, marginMin, lossMin });
    g.assign(slot, slot.add(1));
    g.assign(step, step.add(1));
    return g;
  }

  private finishGraph(b: number): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    const xBest = g.variable(state(b, this.inputShape).xBest, [b, ...this.inputShape]);
    g.assign(t.robust, t.robust.mul(correctMask(this.classify(g, xBest), t.y)));
    return g;
  }
}

/**
 * One L2 Square query's candidate: x, xBest [B, C, H, W]; `row` [1, 5 + H W] a chunk-table row
 * (windows, then the first window's pattern image); `signs` [B, C, 1, 1] of +-1.
 */
export function squareL2Candidate(x: Tensor, xBest: Tensor, row: Tensor, signs: Tensor, eps: number): Tensor {
  const g = x.graph;
  const [, c, h, w] = x.shape as [number, number, number, number];
  const col = (j: number) => row.slice([0, j], [1, 1]).reshape([1, 1, 1, 1]);
  const side = col(SQUARE_L2_ROW.side);
  const rows = g.constantData(Float32Array.from({ length: h }, (_, i) => i), [1, 1, h, 1]);
  const cols = g.constantData(Float32Array.from({ length: w }, (_, i) => i), [1, 1, 1, w]);
  const window = (top: Tensor, left: Tensor) => rows.ge(top).mul(rows.lt(top.add(side))).mul(cols.ge(left)).mul(cols.lt(left.add(side)));
  const first = window(col(SQUARE_L2_ROW.top), col(SQUARE_L2_ROW.left));
  const second = window(col(SQUARE_L2_ROW.top2), col(SQUARE_L2_ROW.left2));
  const both = first.maximum(second);
  const pattern = row.slice([0, SQUARE_L2_CHUNK_HEADER], [1, h * w]).reshape([1, 1, h, w]);

  const delta = xBest.sub(x);
  const squared = delta.square();
  const windowNorm = (mask: Tensor) => squared.mul(mask).sum([2, 3], true).sqrt(); // [B, C, 1, 1]
  const imageNormSq = squared.sum([1, 2, 3], true); // [B, 1, 1, 1]
  let fresh = pattern.mul(signs).add(delta.mul(first).div(windowNorm(first).add(1e-12)));
  const budget = imageNormSq.neg().add(eps * eps).maximum(0).div(c).add(squared.mul(both).sum([2, 3], true)).sqrt();
  fresh = fresh.div(fresh.square().sum([2, 3], true).sqrt().add(1e-12)).mul(budget);
  const moved = delta.mul(both.neg().add(1)).add(fresh);
  return onSphere(x, moved, eps);
}

/** clip(x + eps * delta / |delta|, 0, 1): the reference's normalize-then-scale (1e-12 in the norm). */
function onSphere(x: Tensor, delta: Tensor, eps: number): Tensor {
  return x.add(delta.div(exampleNorm(delta).add(1e-12)).mul(eps)).clamp(0, 1);
}
