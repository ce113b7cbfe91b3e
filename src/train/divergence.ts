/**
 * Warns while a run diverges, before its loss reaches NaN (lr 30 trains to a loss of 4e8 with
 * weights of 3e10 and would otherwise say nothing). Two signs, each far outside any healthy run:
 *
 * - the epoch's training loss above 100 x ln(classes): chance-level cross-entropy is ln(classes)
 *   (2.3 for 10 classes), a healthy adversarial loss stays within a few times that, and the extra
 *   terms of the objectives here (KL, MSE to a target, margins) are bounded by similar amounts;
 * - the global L2 norm of the trainable weights above 100 x its value at initialisation (weight
 *   decay or not, healthy training grows it by a small factor).
 *
 * Each sign is reported once per run.
 */
export const LOSS_FACTOR = 100;
export const WEIGHT_NORM_FACTOR = 100;

export class DivergenceWatch {
  private lossWarned = false;
  private normWarned = false;

  constructor(
    readonly classes: number,
    /** Weight norm at initialisation; null when unknown (a resumed run of an older matc). */
    readonly initialWeightNorm: number | null,
  ) {}

  get lossBound(): number {
    return LOSS_FACTOR * Math.log(Math.max(this.classes, 2));
  }

  /** Warnings for one epoch (empty when healthy or already said). */
  check(epoch: number, trainLoss: number, weightNorm: number | null): string[] {
    const warnings: string[] = [];
    if (!this.lossWarned && trainLoss > this.lossBound) {
      this.lossWarned = true;
      warnings.push(`training is diverging: epoch ${epoch}'s loss is ${trainLoss.toPrecision(3)}, above ${LOSS_FACTOR} x ln(${this.classes}) = ${this.lossBound.toPrecision(3)}; lower the learning rate (it will likely reach NaN)`);
    }
    const ref = this.initialWeightNorm;
    if (!this.normWarned && weightNorm !== null && ref !== null && ref > 0 && weightNorm > WEIGHT_NORM_FACTOR * ref) {
      this.normWarned = true;
      warnings.push(`training is diverging: after epoch ${epoch} the weights' L2 norm is ${weightNorm.toPrecision(3)}, over ${WEIGHT_NORM_FACTOR} x its initial ${ref.toPrecision(3)}; lower the learning rate or add weight decay`);
    }
    return warnings;
  }
}
