import { describe, expect, it } from 'vitest';
import { augmentBatch, exampleAugmentation } from '../../src/data/index.js';
import { syntheticDataset } from './synthetic.js';

const [C, H, W] = [3, 6, 6];
const ds = syntheticDataset(40, C, H, W);
const SIZE = C * H * W;

/** torchvision's recipe written out literally: zero-pad by p, take the window at (dy+p, dx+p), then mirror. */
function reference(image: Float32Array, pad: number, dy: number, dx: number, flipped: boolean): Float32Array {
  const ph = H + 2 * pad;
  const pw = W + 2 * pad;
  const padded = new Float32Array(C * ph * pw);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) padded[(c * ph + y + pad) * pw + x + pad] = image[(c * H + y) * W + x]!;
  const out = new Float32Array(SIZE);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const cropped = (cx: number) => padded[(c * ph + y + dy + pad) * pw + cx + dx + pad]!;
        out[(c * H + y) * W + x] = cropped(flipped ? W - 1 - x : x);
      }
  return out;
}

const example = (images: Float32Array, i: number) => images.subarray(i * SIZE, (i + 1) * SIZE);

describe('augmentBatch', () => {
  it('matches pad-crop-flip done literally, for every example', () => {
    const out = augmentBatch(ds.images, ds.n, C, H, W, ds.indices, 0, 11, { crop: 2, flip: true });
    for (let i = 0; i < ds.n; i++) {
      const { dy, dx, flipped } = exampleAugmentation(ds.indices[i]!, 0, 11, { crop: 2, flip: true });
      expect(Array.from(example(out, i))).toEqual(Array.from(reference(example(ds.images, i), 2, dy, dx, flipped)));
    }
  });

  it('is deterministic and leaves the input untouched', () => {
    const before = Array.from(ds.images);
    const a = augmentBatch(ds.images, ds.n, C, H, W, ds.indices, 3, 5, { crop: 1, flip: true });
    const b = augmentBatch(ds.images, ds.n, C, H, W, ds.indices, 3, 5, { crop: 1, flip: true });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(ds.images)).toEqual(before);
  });

  it('gives an example the same augmentation whatever batch and position it is in', () => {
    const opts = { crop: 2, flip: true };
    const all = augmentBatch(ds.images, ds.n, C, H, W, ds.indices, 2, 9, opts);
    const picks = [31, 4, 17];
    const batch = new Float32Array(picks.length * SIZE);
    picks.forEach((p, k) => batch.set(example(ds.images, p), k * SIZE));
    const small = augmentBatch(batch, picks.length, C, H, W, Int32Array.from(picks), 2, 9, opts);
    picks.forEach((p, k) => expect(Array.from(example(small, k))).toEqual(Array.from(example(all, p))));
  });

  it('flip really mirrors each row, and only flip when crop is off', () => {
    const out = augmentBatch(ds.images, ds.n, C, H, W, ds.indices, 0, 1, { flip: true });
    let flippedCount = 0;
    for (let i = 0; i < ds.n; i++) {
      const { dy, dx, flipped } = exampleAugmentation(i, 0, 1, { flip: true });
      expect([dy, dx]).toEqual([0, 0]);
      flippedCount += flipped ? 1 : 0;
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const src = ds.images[i * SIZE + (c * H + y) * W + (flipped ? W - 1 - x : x)];
            expect(out[i * SIZE + (c * H + y) * W + x]).toBe(src);
          }
    }
    expect(flippedCount).toBeGreaterThan(0);
    expect(flippedCount).toBeLessThan(ds.n);
  });

  it('crop shifts the image and fills the uncovered border with zeros', () => {
    const pad = 2;
    const out = augmentBatch(ds.images, ds.n, C, H, W, ds.indices, 0, 4, { crop: pad });
    const seenShifts = new Set<string>();
    for (let i = 0; i < ds.n; i++) {
      const { dy, dx, flipped } = exampleAugmentation(i, 0, 4, { crop: pad });
      expect(flipped).toBe(false);
      expect(Math.abs(dy)).toBeLessThanOrEqual(pad);
      expect(Math.abs(dx)).toBeLessThanOrEqual(pad);
      seenShifts.add(`${dy},${dx}`);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const sy = y + dy;
          const sx = x + dx;
          const inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
          const expected = inside ? ds.images[i * SIZE + sy * W + sx] : 0;
          expect(out[i * SIZE + y * W + x]).toBe(expected);
        }
    }
    expect(seenShifts.size).toBeGreaterThan(10); // 25 windows possible; 40 examples hit many of them
  });

  it('flips about half of many examples, with fresh draws each epoch', () => {
    const n = 20000;
    // 1x1x2 images [0, 1]: a flipped one reads [1, 0].
    const images = new Float32Array(2 * n).map((_, i) => i % 2);
    const indices = Int32Array.from({ length: n }, (_, i) => i);
    const flippedIn = (epoch: number) => augmentBatch(images, n, 1, 1, 2, indices, epoch, 123, { flip: true }).filter((v, i) => i % 2 === 0 && v === 1).length;
    const e0 = flippedIn(0);
    expect(Math.abs(e0 / n - 0.5)).toBeLessThan(0.02);
    const out0 = augmentBatch(images, n, 1, 1, 2, indices, 0, 123, { flip: true });
    const out1 = augmentBatch(images, n, 1, 1, 2, indices, 1, 123, { flip: true });
    let same = 0;
    for (let i = 0; i < n; i++) same += out0[2 * i] === out1[2 * i] ? 1 : 0;
    expect(Math.abs(same / n - 0.5)).toBeLessThan(0.02); // independent across epochs
  });

  it('crop windows are uniform over the (2p+1)^2 choices', () => {
    const pad = 4;
    const counts = new Map<string, number>();
    const n = 81 * 200;
    for (let i = 0; i < n; i++) {
      const { dy, dx } = exampleAugmentation(i, 0, 77, { crop: pad });
      counts.set(`${dy},${dx}`, (counts.get(`${dy},${dx}`) ?? 0) + 1);
    }
    expect(counts.size).toBe(81);
    for (const c of counts.values()) expect(Math.abs(c - 200)).toBeLessThan(70);
  });

  it('rejects mismatched sizes and bad padding', () => {
    expect(() => augmentBatch(ds.images, ds.n + 1, C, H, W, ds.indices, 0, 0, {})).toThrow(RangeError);
    expect(() => augmentBatch(ds.images, ds.n, C, H, W, ds.indices, 0, 0, { crop: -1 })).toThrow(RangeError);
  });
});
