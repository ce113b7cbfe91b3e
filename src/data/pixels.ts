/** Conversions from stored 8-bit pixels to the [0, 1] floats a Dataset holds. */

// A table keeps the division out of the hot loop and makes every reader round identically.
const UNIT_FROM_BYTE = new Float32Array(256).map((_, v) => v / 255);

/** Pixel bytes 0..255 to floats in [0, 1], same order. */
export function bytesToUnitFloats(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = UNIT_FROM_BYTE[bytes[i]!]!;
  return out;
}

/** The float a pixel byte becomes; tests compare against this. */
export function unitFromByte(v: number): number {
  return UNIT_FROM_BYTE[v]!;
}
