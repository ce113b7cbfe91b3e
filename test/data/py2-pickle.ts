/**
 * Test-only writer of Python 2 pickles (protocol 2) in the exact opcode sequence Python 2.7's
 * cPickle emits for CIFAR's python-version batches: a dict of str keys holding ints, strs,
 * lists and one numpy uint8 array. Checked byte for byte against a pickle made by Python 2 itself
 * (test/data/fixtures/cifar10-py2.pickle, from scripts/make-cifar-py2-fixture.py).
 *
 * cPickle rules mirrored here:
 * - memo: BINPUT (LONG_BINPUT past 255), indices from 1, after dicts, lists, globals, REDUCE
 *   results and strs of 2+ chars; 1-char strs never. Objects with a refcount of 1 are not
 *   memoized either, which is why none of the tuples and strs numpy builds afresh inside its
 *   __reduce__ (args, shape, 'u1', the raw data, the state tuples) get a BINPUT;
 * - ints: BININT1 below 256, BININT2 below 65536, else BININT; str: SHORT_BINSTRING below 256
 *   bytes, else BINSTRING; False/True: NEWFALSE/NEWTRUE;
 * - lists and dicts are written in batches of 1000 (MARK ... APPENDS / SETITEMS), a batch of
 *   one item as a bare APPEND / SETITEM.
 */

/** A numpy uint8 array in C order. */
export class NumpyUint8Array {
  constructor(
    readonly shape: readonly number[],
    readonly data: Uint8Array,
  ) {}
}

/** Python 2 values: number = int, string = str (char codes are the bytes), array = list, Map = dict. */
export type Py2Value = number | boolean | null | string | readonly Py2Value[] | ReadonlyMap<string, Py2Value> | NumpyUint8Array;

export const OP = {
  MARK: 0x28, STOP: 0x2e, BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, NONE: 0x4e, REDUCE: 0x52,
  BINSTRING: 0x54, SHORT_BINSTRING: 0x55, EMPTY_LIST: 0x5d, APPEND: 0x61, BUILD: 0x62, GLOBAL: 0x63,
  APPENDS: 0x65, BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, SETITEMS: 0x75,
  EMPTY_DICT: 0x7d, PROTO: 0x80, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89,
} as const;

const BATCHSIZE = 1000;

/** Raw opcode bytes, for hand-made (e.g. hostile) pickles as well as the writer below. */
export class PickleBytes {
  private readonly chunks: Uint8Array[] = [];
  private memoNext = 1;

  op(code: number, ...args: number[]): this {
    this.chunks.push(Uint8Array.from([code, ...args]));
    return this;
  }

  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.chunks.push(b);
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    return this;
  }

  int(value: number): this {
    if (value >= 0 && value < 0x100) return this.op(OP.BININT1, value);
    if (value >= 0 && value < 0x10000) return this.op(OP.BININT2, value & 0xff, value >> 8);
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    return this.op(OP.BININT).raw(b);
  }

  str(text: string | Uint8Array): this {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    if (bytes.length < 0x100) this.op(OP.SHORT_BINSTRING, bytes.length);
    else this.op(OP.BINSTRING).u32(bytes.length);
    return this.raw(bytes);
  }

  global(module: string, name: string): this {
    return this.op(OP.GLOBAL).raw(Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }

  put(): this {
    const index = this.memoNext++;
    return index < 0x100 ? this.op(OP.BINPUT, index) : this.op(OP.LONG_BINPUT).u32(index);
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

/** `value` pickled as Python 2.7's cPickle.dumps(value, 2) writes it. */
export function py2Pickle(value: Py2Value): Uint8Array {
  const out = new PickleBytes().op(OP.PROTO, 2);
  writeValue(out, value);
  return out.op(OP.STOP).bytes();
}

function writeValue(out: PickleBytes, value: Py2Value): void {
  if (value === null) out.op(OP.NONE);
  else if (typeof value === 'boolean') out.op(value ? OP.NEWTRUE : OP.NEWFALSE);
  else if (typeof value === 'number') out.int(value);
  else if (typeof value === 'string') {
    out.str(value);
    if (value.length >= 2) out.put();
  } else if (value instanceof NumpyUint8Array) writeNumpy(out, value);
  else if (value instanceof Map) {
    out.op(OP.EMPTY_DICT).put();
    inBatches(out, [...value], OP.SETITEM, OP.SETITEMS, ([k, v]) => (writeValue(out, k), writeValue(out, v)));
  } else {
    out.op(OP.EMPTY_LIST).put();
    inBatches(out, value as readonly Py2Value[], OP.APPEND, OP.APPENDS, (item) => writeValue(out, item));
  }
}

function inBatches<T>(out: PickleBytes, items: readonly T[], single: number, many: number, write: (item: T) => void): void {
  for (let at = 0; at < items.length; at += BATCHSIZE) {
    const batch = items.slice(at, at + BATCHSIZE);
    if (batch.length === 1) {
      write(batch[0]!);
      out.op(single);
      continue;
    }
    out.op(OP.MARK);
    batch.forEach(write);
    out.op(many);
  }
}

/** numpy's ndarray.__reduce__ (see src/data/numpy-pickle.ts), as cPickle writes it. */
function writeNumpy(out: PickleBytes, array: NumpyUint8Array): void {
  out.global('numpy.core.multiarray', '_reconstruct').put();
  out.global('numpy', 'ndarray').put();
  out.int(0).op(OP.TUPLE1).str('b').op(OP.TUPLE3).op(OP.REDUCE).put();
  out.op(OP.MARK).int(1);
  const tupleOf = [undefined, OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][array.shape.length];
  if (tupleOf === undefined) throw new RangeError(`py2Pickle writes arrays of 1 to 3 dimensions, not ${array.shape.length}`);
  array.shape.forEach((d) => out.int(d));
  out.op(tupleOf);
  out.global('numpy', 'dtype').put();
  out.str('u1').int(0).int(1).op(OP.TUPLE3).op(OP.REDUCE).put();
  out.op(OP.MARK).int(3).str('|').op(OP.NONE, OP.NONE, OP.NONE).int(-1).int(-1).int(0).op(OP.TUPLE).op(OP.BUILD);
  out.op(OP.NEWFALSE).str(array.data).op(OP.TUPLE).op(OP.BUILD);
}
