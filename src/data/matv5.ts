/**
 * A small reader for MATLAB level-5 MAT-files (the format of `save -v6`/`-v7`, which is what the
 * SVHN cropped-digit files use). It understands what numeric arrays need and skips the rest:
 *
 *   file    = 128-byte header, then data elements
 *   element = tag (type uint32, byte count uint32) + data padded to 8 bytes, or the "small
 *             element" form (byte count in the tag's upper 16 bits, <= 4 data bytes in the tag)
 *   miCOMPRESSED elements hold one zlib-compressed element (not padded)
 *   miMATRIX = array flags, dimensions, name, real part [, imaginary part]
 *
 * MATLAB 7.3 files are HDF5 containers and are rejected with a message saying how to convert.
 */
import { inflateSync } from 'node:zlib';
import { DataError, corruptFile, describeBytes } from './errors.js';

/** Data element types (MAT-File Format, table 1-1). */
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
} as const;

/** Bytes per element of each numeric data type. */
const MI_SIZE: Record<number, number> = {
  [MI.INT8]: 1,
  [MI.UINT8]: 1,
  [MI.INT16]: 2,
  [MI.UINT16]: 2,
  [MI.INT32]: 4,
  [MI.UINT32]: 4,
  [MI.SINGLE]: 4,
  [MI.DOUBLE]: 8,
  [MI.INT64]: 8,
  [MI.UINT64]: 8,
};

/** Array classes (the low byte of the array flags), index = class id. */
const CLASS_NAMES = [
  'unknown', 'cell', 'struct', 'object', 'char', 'sparse', 'double', 'single',
  'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
] as const;
export type MatClass = (typeof CLASS_NAMES)[number];

const NUMERIC_CLASSES: ReadonlySet<MatClass> = new Set<MatClass>([
  'double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
]);

export interface MatVariable {
  readonly name: string;
  readonly className: MatClass;
  /** MATLAB dimensions; the data is in column-major (first index fastest) order. */
  readonly dims: readonly number[];
  /**
   * Real part of a numeric array, `undefined` for cells, structs, chars and sparse arrays.
   * Data stored as uint8 stays bytes (no copy); anything else is widened to float64.
   */
  readonly real: Uint8Array | Float64Array | undefined;
}

interface Element {
  readonly type: number;
  /** The element's data bytes. */
  readonly data: Uint8Array;
  /** Offset just after this element (padding included) in the buffer it was read from. */
  readonly next: number;
}

const HEADER_SIZE = 128;
const V73_TEXT = 'MATLAB 7.3 MAT-file';
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Parses every variable in a level-5 MAT-file. `file` is only used in error messages. */
export function readMatV5(bytes: Uint8Array, file: string): Map<string, MatVariable> {
  const littleEndian = readHeader(bytes, file);
  const variables = new Map<string, MatVariable>();
  let pos = HEADER_SIZE;
  // Trailing bytes shorter than a tag can only be padding.
  while (pos + 8 <= bytes.length) {
    const element = readElement(bytes, pos, littleEndian, file, 'top level');
    let matrix: Element | undefined;
    if (element.type === MI.COMPRESSED) {
      const inner = inflate(element.data, file);
      matrix = readElement(inner, 0, littleEndian, file, 'compressed variable');
      // MATLAB does not pad compressed elements: the next one starts right after the zlib stream.
      pos = element.next - padding(element.data.length);
    } else {
      matrix = element;
      pos = element.next;
    }
    if (matrix.type !== MI.MATRIX) continue; // Only arrays are variables; anything else is skipped.
    const variable = readMatrix(matrix.data, littleEndian, file);
    if (variable) variables.set(variable.name, variable);
  }
  return variables;
}

/** Validates the header; returns whether the numbers in the file are little-endian. */
function readHeader(bytes: Uint8Array, file: string): boolean {
  const text = ascii(bytes.subarray(0, Math.min(116, bytes.length)));
  const hdf5At512 = bytes.length >= 520 && HDF5_SIGNATURE.every((b, i) => bytes[512 + i] === b);
  if (text.startsWith(V73_TEXT) || hdf5At512) {
    throw new DataError(
      `${file} is a MATLAB 7.3 MAT-file (HDF5), which matc does not read. ` +
        `Re-save it as version 5/7 (in MATLAB: load it, then save(name, '-v7'); in Python: ` +
        `scipy.io.savemat) or use the official SVHN files, which are version 5.`,
      file,
    );
  }
  if (bytes.length < HEADER_SIZE) {
    throw corruptFile(file, `only ${describeBytes(bytes.length)}, shorter than the 128-byte MAT-file header`);
  }
  const indicator = String.fromCharCode(bytes[126]!, bytes[127]!);
  // The writer stores 'MI' as a native uint16; reading it back as 'IM' means little-endian.
  if (indicator !== 'IM' && indicator !== 'MI') {
    throw corruptFile(
      file,
      'no MAT-file version 5 header (missing the endian indicator at bytes 126-127)',
      'It may be a MATLAB version 4 file or not a MAT-file at all; SVHN needs the cropped-digits *_32x32.mat files.',
    );
  }
  return indicator === 'IM';
}

function readElement(buf: Uint8Array, pos: number, le: boolean, file: string, where: string): Element {
  if (pos + 8 > buf.length) throw corruptFile(file, `data element tag at byte ${pos} of the ${where} is cut off`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const first = view.getUint32(pos, le);
  if (first >>> 16 !== 0) {
    // Small data element: type in the low 16 bits, byte count in the high 16, data in the tag.
    const size = first >>> 16;
    if (size > 4) throw corruptFile(file, `small data element at byte ${pos} claims ${size} bytes (at most 4 fit)`);
    return { type: first & 0xffff, data: buf.subarray(pos + 4, pos + 4 + size), next: pos + 8 };
  }
  const size = view.getUint32(pos + 4, le);
  const start = pos + 8;
  if (start + size > buf.length) {
    throw corruptFile(
      file,
      `data element at byte ${pos} of the ${where} needs ${describeBytes(size)} but only ${describeBytes(buf.length - start)} remain`,
    );
  }
  return { type: first, data: buf.subarray(start, start + size), next: start + size + padding(size) };
}

function padding(size: number): number {
  return (8 - (size % 8)) % 8;
}

function inflate(data: Uint8Array, file: string): Uint8Array {
  try {
    const out = inflateSync(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw corruptFile(file, `a compressed variable does not decompress (${(err as Error).message})`);
  }
}

/** Decodes the sub-elements of an miMATRIX; `undefined` for the empty matrix MATLAB writes for [] in cells. */
function readMatrix(body: Uint8Array, le: boolean, file: string): MatVariable | undefined {
  if (body.length === 0) return undefined;
  const flags = readElement(body, 0, le, file, 'array');
  if (flags.type !== MI.UINT32 || flags.data.length !== 8) throw corruptFile(file, 'array flags element is malformed');
  const flagsView = new DataView(flags.data.buffer, flags.data.byteOffset, 8);
  const classId = flagsView.getUint32(0, le) & 0xff;
  const className: MatClass = CLASS_NAMES[classId] ?? 'unknown';

  const dimsElement = readElement(body, flags.next, le, file, 'array');
  if (dimsElement.type !== MI.INT32 || dimsElement.data.length % 4 !== 0) throw corruptFile(file, 'array dimensions element is malformed');
  const dims = Array.from(numbers(dimsElement, le, file));

  const nameElement = readElement(body, dimsElement.next, le, file, 'array');
  if (nameElement.type !== MI.INT8 && nameElement.type !== MI.UINT8) throw corruptFile(file, 'array name element is malformed');
  const name = ascii(nameElement.data);

  if (!NUMERIC_CLASSES.has(className)) return { name, className, dims, real: undefined };
  const realElement = readElement(body, nameElement.next, le, file, `array '${name}'`);
  const count = dims.reduce((a, b) => a * b, 1);
  const real = numbers(realElement, le, file);
  if (real.length !== count) {
    throw corruptFile(file, `variable '${name}' has dimensions ${dims.join('x')} (${count} values) but stores ${real.length}`);
  }
  return { name, className, dims, real };
}

/** The values of a numeric element: bytes stay a view, wider types become float64. */
function numbers(element: Element, le: boolean, file: string): Uint8Array | Float64Array {
  const width = MI_SIZE[element.type];
  if (width === undefined) throw corruptFile(file, `unsupported numeric data type ${element.type}`);
  if (element.data.length % width !== 0) {
    throw corruptFile(file, `${describeBytes(element.data.length)} of type ${element.type} data is not a multiple of ${width}`);
  }
  if (element.type === MI.UINT8) return element.data;
  const n = element.data.length / width;
  const out = new Float64Array(n);
  const view = new DataView(element.data.buffer, element.data.byteOffset, element.data.byteLength);
  const read = READERS[element.type]!;
  for (let i = 0; i < n; i++) out[i] = read(view, i * width, le);
  return out;
}

type Reader = (view: DataView, at: number, le: boolean) => number;
const READERS: Record<number, Reader> = {
  [MI.INT8]: (v, at) => v.getInt8(at),
  [MI.INT16]: (v, at, le) => v.getInt16(at, le),
  [MI.UINT16]: (v, at, le) => v.getUint16(at, le),
  [MI.INT32]: (v, at, le) => v.getInt32(at, le),
  [MI.UINT32]: (v, at, le) => v.getUint32(at, le),
  [MI.SINGLE]: (v, at, le) => v.getFloat32(at, le),
  [MI.DOUBLE]: (v, at, le) => v.getFloat64(at, le),
  [MI.INT64]: (v, at, le) => Number(v.getBigInt64(at, le)),
  [MI.UINT64]: (v, at, le) => Number(v.getBigUint64(at, le)),
};

/** Bytes to text up to the first NUL (MAT-file names and header text are ASCII). */
function ascii(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1').trimEnd();
}
