/**
 * FAB-T, the targeted Fast Adaptive Boundary attack (Croce & Hein 2020) in the L-inf or the L2
 * norm, as AutoAttack's standard version runs it (fra31/auto-attack `fab_base.py`, targeted, 1
 * restart, 100 iterations, alpha_max 0.1, eta 1.05, beta 0.9), entirely on the GPU. The reference
 * draws a random start (L2: x + min(best distance, eps) / 2 * N(0, 1) / |N(0, 1)|_2) only from
 * the second restart on; with the standard version's single restart both norms start at x.
 *
 * Per iteration, at the current point x1 (starting at the clean x):
 *   - linearise the boundary between the label y and the target t: f = z_t - z_y, g = grad_x1 f;
 *     the plane is g . z = g . x1 - f;
 *   - project both x1 and the clean x onto that plane within [0, 1] (d1, d2: smallest steps in the
 *     attack's norm, src/ops/projection.ts for L-inf, src/ops/projection-l2.ts for L2);
 *   - alpha = clamp(|d1| / (|d1| + |d2|), 0, alpha_max) with |.| the attack's norm (at least 1e-8);
 *     x1 <- clip((x1 + eta d1)(1 - alpha) + (x + eta d2) alpha, 0, 1): a step towards the plane
 *     biased towards the clean point, so the attack looks for the closest boundary point;
 *   - if x1 is misclassified (argmax != y, any class), it is an adversarial example at distance
 *     |x1 - x| (the attack's norm), and x1 is pulled back towards x: x1 <- x + beta (x1 - x).
 * An example is broken when some misclassified iterate lies within eps of x (AutoAttack keeps the
 * closest adversarial found and accepts it if its distance is <= eps; this is the same condition).
 *
 * One submission per target class (start + 100 iterations), one readback of the flags after it.
 */
import { Graph } from '../ir/graph.js';
import { OPS } from '../ops/registry.js';
import { grad } from '../ir/autodiff.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Program } from '../runtime/program.js';
import type { Classifier } from './classifier.js';
import { pickLabel } from '../ops/losses.js';
import { linfHyperplaneProjection } from '../ops/projection.js';
import { l2HyperplaneProjection } from '../ops/projection-l2.js';
import type { Tensor } from '../ir/tensor.js';
import { batchTensors, batchVar, evalVar, readFlags } from './batch.js';
import { correctMask } from './objectives.js';

export interface FabSettings {
  eps: number;
  /** The threat model's norm (default L-inf): the projection, the step weights and the eps check. */
  norm?: 'linf' | 'l2';
  iterations: number;
  /** Largest weight of the clean point's projection in a step (0.1 in AutoAttack). */
  alphaMax?: number;
  /** Overshoot of the projection step (1.05). */
  eta?: number;
  /** Pull-back towards the clean point after a success (0.9). */
  beta?: number;
}

export const FAB_DEFAULTS = { norm: 'linf', alphaMax: 0.1, eta: 1.05, beta: 0.9 } as const;

/** Per-row norm of [rows, n] as [rows, keepDims ? 1 : -]: the max of |.| (L-inf) or the L2 norm. */
function rowNorm(t: Tensor, norm: 'linf' | 'l2', keepDims: boolean): Tensor {
  return norm === 'linf' ? t.abs().max(1, keepDims) : t.square().sum(1, keepDims).sqrt();
}

interface FabPrograms {
  start: Program;
  iterate: Program;
}

export class Fab {
  private readonly cache = new Map<string, Promise<FabPrograms>>();
  private readonly features: number;

  constructor(
    private readonly rt: Runtime,
    private readonly classify: Classifier,
    private readonly inputShape: readonly number[],
  ) {
    this.features = inputShape.reduce((a, c) => a * c, 1);
  }

  private names(b: number) {
    return { x1: evalVar(b, this.inputShape, 'fab/x1'), target: evalVar(b, this.inputShape, 'fab/target') };
  }

  /**
   * Attack the batch in the shared batch variables towards `target` (one class per row), from
   * the robust flags there. Returns the new robust flags.
   */
  async run(b: number, s: FabSettings, target: Int32Array): Promise<Uint8Array> {
    const p = await this.programs(b, s);
    this.rt.variables.write(this.names(b).target, target, [b], 'i32');
    this.rt.submit([p.start, ...Array.from({ length: s.iterations }, () => p.iterate)]);
    return readFlags(this.rt, batchVar.robust(b, this.inputShape));
  }

  private programs(b: number, s: FabSettings): Promise<FabPrograms> {
    const settings: Required<FabSettings> = { ...FAB_DEFAULTS, ...s };
    const key = `${b}|${settings.norm}|${settings.eps}|${settings.alphaMax}|${settings.eta}|${settings.beta}`;
    let p = this.cache.get(key);
    if (!p) {
      p = (async () => {
        const label = `fab-t${settings.norm === 'l2' ? '-l2' : ''}:b${b}`;
        const [start, iterate] = await Promise.all([
          this.rt.compile(this.startGraph(b), { label: `${label}:start` }),
          this.rt.compile(this.iterateGraph(b, settings), { label: `${label}:iterate` }),
        ]);
        return { start, iterate };
      })();
      this.cache.set(key, p);
    }
    return p;
  }

  private startGraph(b: number): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    g.assign(g.variable(this.names(b).x1, [b, ...this.inputShape]), t.x.add(0));
    return g;
  }

  private iterateGraph(b: number, s: Required<FabSettings>): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    const shape = [b, ...this.inputShape];
    const flat = [b, this.features];
    const x1 = g.variable(this.names(b).x1, shape);
    const target = g.variable(this.names(b).target, [b], 'i32');

    // The linearised boundary between y and the target at x1.
    const logits = this.classify(g, x1);
    const f = pickLabel(logits, target).sub(pickLabel(logits, t.y));
    const [gradient] = grad(f.sum(), [x1]);
    const w = gradient!.reshape(flat);
    const point = x1.reshape(flat);
    const clean = t.x.reshape(flat);
    const offset = w.mul(point).sum(1).sub(f);

    const project = s.norm === 'l2' ? l2HyperplaneProjection : linfHyperplaneProjection;
    const d1 = project(point, w, offset);
    const d2 = project(clean, w, offset);
    const a1 = rowNorm(d1, s.norm, true).maximum(1e-8);
    const a2 = rowNorm(d2, s.norm, true).maximum(1e-8);
    const alpha = a1.div(a1.add(a2)).maximum(0).minimum(s.alphaMax);
    const next = point.add(d1.mul(s.eta)).mul(alpha.neg().add(1)).add(clean.add(d2.mul(s.eta)).mul(alpha)).clamp(0, 1);

    // Success: misclassified (any class) within eps of the clean point.
    const adversarial = correctMask(this.classify(g, next.reshape(shape)), t.y).neg().add(1);
    const distance = rowNorm(next.sub(clean), s.norm, false);
    const broken = adversarial.mul(distance.le(s.eps));
    g.assign(t.robust, t.robust.mul(broken.neg().add(1)));
    const pulledBack = clean.add(next.sub(clean).mul(s.beta));
    g.assign(x1, adversarial.reshape([b, 1]).select(pulledBack, next).reshape(shape));
    return g;
  }
}
