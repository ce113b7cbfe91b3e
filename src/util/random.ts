/**
 * Counter-based random numbers: every value is a pure function of (seed, stream, counter),
 * so results do not depend on batch order, worker count or device. The same mixing
 * function is emitted in WGSL (see `WGSL_RANDOM`), so CPU and GPU draw identical bits.
 *
 * The mixer is Chris Wellons' "lowbias32" integer hash; keys are combined by chaining it.
 */

/** 32-bit avalanche hash (lowbias32). Input and output are unsigned 32-bit integers. */
export function mix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of a (seed, stream, counter) key; each argument is taken modulo 2^32. */
export function hashKey(seed: number, stream: number, counter: number): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32((h ^ (stream >>> 0)) >>> 0);
  h = mix32((h + Math.imul(counter >>> 0, 0x85ebca6b)) >>> 0);
  return h;
}

/** Uniform in [0, 1) with 24 bits of resolution (exactly representable in f32). */
export function uniformFromBits(bits: number): number {
  return (bits >>> 8) * (1 / 16777216);
}

/** Uniform in [0, 1) for a key. */
export function uniform(seed: number, stream: number, counter: number): number {
  return uniformFromBits(hashKey(seed, stream, counter));
}

/** Standard normal for a key (Box-Muller on two derived uniforms). */
export function normal(seed: number, stream: number, counter: number): number {
  const h1 = hashKey(seed, stream, counter);
  const h2 = mix32((h1 ^ 0x68e31da4) >>> 0);
  const u1 = ((h1 >>> 8) + 1) * (1 / 16777217); // (0, 1]: log stays finite
  const u2 = (h2 >>> 8) * (1 / 16777216);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Integer in [0, n) for a key (n < 2^24; the bias is below 2^-8 relative, fine for labels and crops). */
export function randint(seed: number, stream: number, counter: number, n: number): number {
  return Math.min(n - 1, Math.floor(uniform(seed, stream, counter) * n));
}

/** Named streams keep independent uses of one seed apart. */
export const Streams = {
  init: 1,
  augmentCrop: 2,
  augmentFlip: 3,
  labelNoise: 4,
  labelNoiseClass: 5,
  shuffle: 6,
  attackStart: 7,
  dropout: 8,
  subset: 9,
  analysis: 10,
} as const;

/** WGSL twin of mix32/hashKey/uniformFromBits; kernels that draw random numbers include it. */
export const WGSL_RANDOM = /* wgsl */ `
fn rng_mix32(x0: u32) -> u32 {
  var x = x0;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}
fn rng_hash_key(seed: u32, stream: u32, counter: u32) -> u32 {
  var h = rng_mix32(seed ^ 0x9e3779b9u);
  h = rng_mix32(h ^ stream);
  h = rng_mix32(h + counter * 0x85ebca6bu);
  return h;
}
fn rng_uniform_bits(bits: u32) -> f32 {
  return f32(bits >> 8u) * (1.0 / 16777216.0);
}
fn rng_normal(seed: u32, stream: u32, counter: u32) -> f32 {
  let h1 = rng_hash_key(seed, stream, counter);
  let h2 = rng_mix32(h1 ^ 0x68e31da4u);
  let u1 = f32((h1 >> 8u) + 1u) * (1.0 / 16777217.0);
  let u2 = f32(h2 >> 8u) * (1.0 / 16777216.0);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
`;
