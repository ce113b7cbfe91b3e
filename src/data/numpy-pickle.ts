/**
 * The only Python globals a pickled numpy array needs, as stand-ins that build plain values.
 * numpy pickles an array as
 *   _reconstruct(ndarray, (0,), 'b')                          -> an empty array      (REDUCE)
 *   .__setstate__((1, shape, dtype, is_fortran, raw bytes))  -> its real contents   (BUILD)
 * with the dtype itself pickled as dtype('u1', 0, 1) (REDUCE) plus
 *   .__setstate__((3, '|', None, None, None, -1, -1, 0))     (BUILD).
 * The stand-ins check every argument against that shape and accept only uint8 data, so a file
 * can at most describe an array; it cannot make matc do anything else.
 */
import { corruptFile } from './errors.js';
import type { PickleGlobals } from './pickle.js';

/** A uint8 array read from a pickle: C-order bytes and the shape numpy recorded. */
export interface NumpyUint8 {
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

const RECONSTRUCT = 'numpy.core.multiarray._reconstruct';
const NDARRAY = 'numpy.ndarray';
const DTYPE = 'numpy.dtype';

/** numpy's names for an unsigned byte; dtype('B') and dtype(numpy.uint8) both pickle as 'u1'. */
const UINT8_TYPESTRS = new Set(['u1']);
/** Byte-order marks a one-byte type may carry ('|' is what numpy writes: not applicable). */
const BYTE_ORDERS = new Set(['|', '<', '>', '=']);

// pickleparser's BUILD calls obj.__setstate__(state); each object keeps its file for messages.
class PickledDtype {
  constructor(
    readonly typestr: string,
    private readonly file: string,
  ) {}

  /** (version, byteorder, subarray, names, fields, elsize, alignment, flags); version 3 has all eight. */
  __setstate__(state: unknown): void {
    const file = this.file;
    if (!Array.isArray(state) || state.length < 5 || !BYTE_ORDERS.has(state[1] as string)) {
      throw corruptFile(file, `the array's dtype has an unexpected state ${describe(state)}`);
    }
    if (state[2] !== null || state[3] !== null || state[4] !== null) {
      throw corruptFile(file, 'the array has a structured or sub-array dtype, expected plain uint8');
    }
  }
}

class PickledArray {
  value: NumpyUint8 | undefined;

  constructor(private readonly file: string) {}

  /** (version 1, shape, dtype, is_fortran, raw bytes); numpy also reads the 4-item form without the version. */
  __setstate__(state: unknown): void {
    const file = this.file;
    if (!Array.isArray(state) || !(state.length === 5 ? state[0] === 1 : state.length === 4)) {
      throw corruptFile(file, `the numpy array has an unexpected state ${describe(state)}`);
    }
    const [shape, dtype, fortran, raw] = state.slice(-4) as unknown[];
    if (!(dtype instanceof PickledDtype)) throw corruptFile(file, `the numpy array's dtype is ${describe(dtype)}, not a numpy dtype`);
    if (!UINT8_TYPESTRS.has(dtype.typestr)) {
      throw corruptFile(file, `the numpy array has dtype '${dtype.typestr}', expected uint8 ('u1')`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw corruptFile(file, `the numpy array has shape ${describe(shape)}, expected a tuple of sizes`);
    }
    if (typeof raw !== 'string') throw corruptFile(file, `the numpy array's data is ${describe(raw)}, expected a byte string`);
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (raw.length !== count) {
      throw corruptFile(file, `the numpy array of shape (${shape.join(', ')}) holds ${raw.length} bytes, expected ${count}`);
    }
    // Fortran order only changes anything for 2+ dimensions of size > 1; CIFAR never uses it.
    if (fortran !== false && shape.filter((d) => d > 1).length > 1) {
      throw corruptFile(file, 'the numpy array is stored in Fortran (column-major) order, expected C order');
    }
    const data = Buffer.from(raw, 'latin1');
    this.value = { shape, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
}

/** The allow-list for `readPickle`: numpy array reconstruction and nothing else. */
export function numpyGlobals(file: string): PickleGlobals {
  // ndarray is only ever an argument of _reconstruct; calling it is refused.
  const ndarray = (): never => {
    throw corruptFile(file, `the pickle calls ${NDARRAY} directly, which numpy array pickles never do`);
  };
  const reconstruct = (cls: unknown, shape: unknown, typecode: unknown) => {
    if (cls !== ndarray || !Array.isArray(shape) || shape.length !== 1 || shape[0] !== 0 || typecode !== 'b') {
      throw corruptFile(file, `${RECONSTRUCT} is called with unexpected arguments ${describe([cls === ndarray ? NDARRAY : cls, shape, typecode])}`);
    }
    return new PickledArray(file);
  };
  const dtype = (typestr: unknown, align: unknown, copy: unknown) => {
    if (typeof typestr !== 'string' || (align !== 0 && align !== false) || (copy !== 1 && copy !== true)) {
      throw corruptFile(file, `${DTYPE} is called with unexpected arguments ${describe([typestr, align, copy])}`);
    }
    return new PickledDtype(typestr, file);
  };
  return new Map<string, (...args: never[]) => unknown>([
    [RECONSTRUCT, reconstruct],
    [NDARRAY, ndarray],
    [DTYPE, dtype],
  ]);
}

/** The array a pickled value holds, or undefined when it is not a (fully built) numpy array. */
export function asNumpyUint8(value: unknown): NumpyUint8 | undefined {
  return value instanceof PickledArray ? value.value : undefined;
}

/** A short, safe rendering of a pickled value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'string') return value.length > 40 ? `a ${value.length}-byte string` : JSON.stringify(value);
  if (Array.isArray(value)) return value.length > 8 ? `a ${value.length}-item sequence` : `(${value.map(describe).join(', ')})`;
  if (value instanceof Map) return 'a dict';
  if (value instanceof PickledArray) return 'a numpy array';
  if (value instanceof PickledDtype) return `dtype '${value.typestr}'`;
  if (typeof value === 'function') return 'a function';
  return String(value);
}
