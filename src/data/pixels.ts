/** Conversions from stored 8-bit pixels to the [0, 1] floats a Dataset holds. */

/** Pixel bytes 0..255 to floats in [0, 1], same order. */
export function bytesToUnitFloats(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  // A plain division is faster than a 256-entry lookup table in V8, and rounds identically.
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}

/** The float a pixel byte becomes (rounded to float32, as stored); tests compare against this. */
export function unitFromByte(v: number): number {
  return Math.fround(v / 255);
}
