/**
 * CPU data augmentation for a batch of NCHW images: random crop with zero padding (as
 * torchvision's RandomCrop(size, padding=p)) followed by a random horizontal flip (p = 0.5).
 * Every draw is a pure function of (seed, stream, epoch, original example index), so an example
 * gets the same crop and flip in a given epoch whatever batch it lands in, and a resumed run
 * reproduces the original exactly.
 */
import { Streams, randint, uniform } from '../util/random.js';
import { epochExampleCounter } from './counters.js';

export interface AugmentOptions {
  /** Zero padding on each side before cropping back to the original size; 0 or absent = no crop. */
  readonly crop?: number;
  /** Mirror left-right with probability 0.5. */
  readonly flip?: boolean;
}

/** The draws for one example; exported so tests and reports can see what was done. */
export interface ExampleAugmentation {
  /** Shift of the crop window relative to the unpadded image, each in [-pad, pad]. */
  readonly dy: number;
  readonly dx: number;
  readonly flipped: boolean;
}

export function exampleAugmentation(index: number, epoch: number, seed: number, options: AugmentOptions): ExampleAugmentation {
  const pad = options.crop ?? 0;
  const counter = epochExampleCounter(epoch, index);
  let dy = 0;
  let dx = 0;
  if (pad > 0) {
    // One draw over all (2p+1)^2 windows keeps dy and dx independent and uniform.
    const side = 2 * pad + 1;
    const window = randint(seed, Streams.augmentCrop, counter, side * side);
    dy = Math.floor(window / side) - pad;
    dx = (window % side) - pad;
  }
  const flipped = options.flip === true && uniform(seed, Streams.augmentFlip, counter) < 0.5;
  return { dy, dx, flipped };
}

/**
 * Returns a new array with each of the n examples cropped and/or flipped. `indices[i]` is the
 * original dataset index of example i (Dataset.indices / Batch.indices).
 */
export function augmentBatch(
  images: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
  indices: Int32Array,
  epoch: number,
  seed: number,
  options: AugmentOptions,
): Float32Array {
  const size = c * h * w;
  if (images.length !== n * size) throw new RangeError(`augmentBatch: ${images.length} floats for ${n} images of ${c}x${h}x${w}`);
  if (indices.length < n) throw new RangeError(`augmentBatch: ${indices.length} indices for ${n} images`);
  const pad = options.crop ?? 0;
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`augmentBatch: crop padding must be a non-negative integer, got ${pad}`);
  const out = new Float32Array(images.length); // zero-filled: the padding
  for (let i = 0; i < n; i++) {
    const { dy, dx, flipped } = exampleAugmentation(indices[i]!, epoch, seed, options);
    for (let ch = 0; ch < c; ch++) {
      const plane = i * size + ch * h * w;
      for (let y = 0; y < h; y++) {
        const sy = y + dy;
        if (sy < 0 || sy >= h) continue;
        for (let x = 0; x < w; x++) {
          // Output column x shows cropped column (flipped ? w-1-x : x), which comes from source column +dx.
          const sx = (flipped ? w - 1 - x : x) + dx;
          if (sx < 0 || sx >= w) continue;
          out[plane + y * w + x] = images[plane + sy * w + sx]!;
        }
      }
    }
  }
  return out;
}
