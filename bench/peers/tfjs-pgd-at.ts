/**
 * The PGD-AT training step of pipelines/fmnist/pgd_at.mat written the way a TF.js user would:
 * eager ops, `tf.grad` for the attack's input gradient, `tf.train.momentum` for the update, and
 * `tf.tidy` around each piece so nothing leaks. NHWC layout (TF.js's native one).
 *
 * Model (the reference CNN): conv(1->16, 3x3, pad 1) - ReLU - maxpool 2 - conv(16->32, 3x3, pad 1)
 * - ReLU - maxpool 2 - flatten - linear(1568->100) - ReLU - linear(100->10).
 * Attack: L-inf eps 0.1, step 0.025, K steps from a uniform start, x' = clip01(Proj(x' + a*sign(g))).
 * Outer: mean cross-entropy on x', SGD with momentum 0.9 (lr 0.01; no weight decay, which TF.js's
 * optimizer lacks; matc's decay is a term inside its fused update, so this favours TF.js slightly).
 */
import type { Tfjs } from './tfjs-setup.js';
import type * as tfTypes from '@tensorflow/tfjs';
import type { SyntheticBatch } from '../random-batch.js';
import { toNhwc } from '../random-batch.js';

export interface PgdAtConfig {
  eps: number;
  step: number;
  steps: number;
  lr: number;
  momentum: number;
  classes: number;
}

export const REFERENCE_PGD_AT: PgdAtConfig = { eps: 0.1, step: 0.025, steps: 10, lr: 0.01, momentum: 0.9, classes: 10 };

interface Parameters {
  conv1: tfTypes.Variable; bias1: tfTypes.Variable;
  conv2: tfTypes.Variable; bias2: tfTypes.Variable;
  fc1: tfTypes.Variable; fcBias1: tfTypes.Variable;
  fc2: tfTypes.Variable; fcBias2: tfTypes.Variable;
}

/** PyTorch's default init bound, 1/sqrt(fan_in), for weights and biases alike. */
function initParameters(tf: Tfjs, classes: number): Parameters {
  const u = (shape: number[], fanIn: number, name: string) => {
    const bound = 1 / Math.sqrt(fanIn);
    return tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', 7), true, name);
  };
  return {
    conv1: u([3, 3, 1, 16], 9, 'conv1'), bias1: u([16], 9, 'bias1'),
    conv2: u([3, 3, 16, 32], 144, 'conv2'), bias2: u([32], 144, 'bias2'),
    fc1: u([1568, 100], 1568, 'fc1'), fcBias1: u([100], 1568, 'fcBias1'),
    fc2: u([100, classes], 100, 'fc2'), fcBias2: u([classes], 100, 'fcBias2'),
  };
}

function forward(tf: Tfjs, p: Parameters, x: tfTypes.Tensor4D): tfTypes.Tensor2D {
  let h = tf.relu(tf.add(tf.conv2d(x, p.conv1 as tfTypes.Tensor4D, 1, 'same'), p.bias1)) as tfTypes.Tensor4D;
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.relu(tf.add(tf.conv2d(h, p.conv2 as tfTypes.Tensor4D, 1, 'same'), p.bias2)) as tfTypes.Tensor4D;
  h = tf.maxPool(h, 2, 2, 'valid');
  const flat = tf.reshape(h, [x.shape[0], 1568]) as tfTypes.Tensor2D;
  const hidden = tf.relu(tf.add(tf.matMul(flat, p.fc1 as tfTypes.Tensor2D), p.fcBias1)) as tfTypes.Tensor2D;
  return tf.add(tf.matMul(hidden, p.fc2 as tfTypes.Tensor2D), p.fcBias2) as tfTypes.Tensor2D;
}

export class TfjsPgdAtStep {
  private readonly params: Parameters;
  private readonly optimizer: tfTypes.MomentumOptimizer;
  private readonly x: tfTypes.Tensor4D;
  private readonly oneHot: tfTypes.Tensor2D;
  readonly batch: number;

  constructor(private readonly tf: Tfjs, data: SyntheticBatch, private readonly cfg: PgdAtConfig = REFERENCE_PGD_AT) {
    const [c, h, w] = data.shape;
    this.batch = data.n;
    this.params = initParameters(tf, cfg.classes);
    this.optimizer = tf.train.momentum(cfg.lr, cfg.momentum);
    this.x = tf.tensor4d(toNhwc(data), [data.n, h, w, c]);
    this.oneHot = tf.oneHot(tf.tensor1d(data.labels, 'int32'), cfg.classes).toFloat() as tfTypes.Tensor2D;
  }

  private loss(input: tfTypes.Tensor4D): tfTypes.Scalar {
    return this.tf.losses.softmaxCrossEntropy(this.oneHot, forward(this.tf, this.params, input)) as tfTypes.Scalar;
  }

  /** K projected sign-gradient steps from a uniform start; returns the adversarial batch. */
  private attack(): tfTypes.Tensor4D {
    const tf = this.tf;
    const { eps, step, steps } = this.cfg;
    const gradOfDelta = tf.grad((delta: tfTypes.Tensor) => this.loss(tf.add(this.x, delta) as tfTypes.Tensor4D));
    let delta: tfTypes.Tensor = tf.randomUniform(this.x.shape, -eps, eps);
    for (let k = 0; k < steps; k++) {
      const next = tf.tidy(() => {
        const g = gradOfDelta(delta);
        const moved = tf.clipByValue(tf.add(delta, tf.mul(tf.sign(g), step)), -eps, eps);
        return tf.sub(tf.clipByValue(tf.add(this.x, moved), 0, 1), this.x);
      });
      delta.dispose();
      delta = next;
    }
    const adversarial = tf.tidy(() => tf.clipByValue(tf.add(this.x, delta), 0, 1) as tfTypes.Tensor4D);
    delta.dispose();
    return adversarial;
  }

  /** One training step: attack, then a momentum-SGD update on the adversarial loss. */
  run(): void {
    const adversarial = this.attack();
    this.tf.tidy(() => {
      this.optimizer.minimize(() => this.loss(adversarial), false);
    });
    adversarial.dispose();
  }

  /** Wait until the GPU has finished everything queued (reads one parameter back). */
  async sync(): Promise<void> {
    await this.params.fcBias2.data();
  }

  /** Tensors alive now (to check the step leaks nothing). */
  liveTensors(): number {
    return this.tf.memory().numTensors;
  }

  dispose(): void {
    this.x.dispose();
    this.oneHot.dispose();
    this.optimizer.dispose();
  }
}
