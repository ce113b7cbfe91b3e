/**
 * PyTorch checkpoints written by `torch.save` (the zip format of PyTorch >= 1.6), read as the
 * same tensors a safetensors file gives, without running anything from the file:
 * torch-archive.ts opens the zip, torch-pickle.ts unpickles data.pkl with an allowlist of globals,
 * and this module finds the model's state_dict in what was pickled and copies each tensor out of
 * its storage, honouring sizes, strides and storage offsets.
 *
 * Accepted: a bare state_dict, or a dict holding it under 'state_dict', 'model_state_dict' or
 * 'model' (other entries, such as 'epoch' or an optimizer's state, are ignored), with DataParallel's
 * `module.` prefix stripped when every name has it. f32, f16 and bf16 come back as F32, f64 as F64,
 * int64 as I64 and int32 as I32, as decodeSafetensors gives them.
 */
import { CheckpointError, readCheckpointBytes, type SafetensorsContents, type SafetensorsDType, type StoredTensor, type TensorValues } from './safetensors.js';
import { openTorchArchive, type TorchArchive } from './torch-archive.js';
import { elementBytes, PickledTensor, unpickleCheckpoint, type PickledStorage, type TorchElement } from './torch-pickle.js';

/** Where a wrapper dict keeps the model's state_dict, in the order they are tried. */
export const STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model'] as const;

const DATA_PARALLEL_PREFIX = 'module.';

/** The dtype each storage element type is read as. */
const readAs: Record<TorchElement, SafetensorsDType> = { f32: 'F32', f16: 'F32', bf16: 'F32', f64: 'F64', i64: 'I64', i32: 'I32' };

// ---------------------------------------------------------------- finding the state_dict

const tensorEntries = (dict: Map<unknown, unknown>): [unknown, PickledTensor][] =>
  [...dict].filter((e): e is [unknown, PickledTensor] => e[1] instanceof PickledTensor);

function kindOf(v: unknown): string {
  if (v instanceof Map) return 'a dict';
  if (Array.isArray(v)) return 'a list or tuple';
  if (v instanceof PickledTensor) return 'a single tensor';
  return v === null ? 'None' : `a ${typeof v}`;
}

/** The tensors of the model: the top-level dict's, or those of the first wrapper key holding tensors. */
function findStateDict(root: unknown, source: string): Map<string, PickledTensor> {
  if (!(root instanceof Map)) throw new CheckpointError(source, `holds no tensors matc can load: the pickle is ${kindOf(root)}, not a state_dict (a dict of tensors)`);
  let found = tensorEntries(root);
  for (const key of STATE_DICT_KEYS) {
    if (found.length > 0) break;
    const inner = root.get(key);
    if (inner instanceof Map) found = tensorEntries(inner);
  }
  if (found.length === 0) {
    const keys = [...root.keys()].slice(0, 8).map(String).join(', ');
    throw new CheckpointError(
      source,
      `holds no tensors where a state_dict would be: the pickle is a dict with keys (${keys}); matc looks for tensors at its top level and under ${STATE_DICT_KEYS.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  const byName = new Map<string, PickledTensor>();
  for (const [name, t] of found) {
    if (typeof name !== 'string') throw new CheckpointError(source, `the state_dict has a tensor under the key ${String(name)}, not a name`);
    byName.set(name, t);
  }
  return stripDataParallelPrefix(byName);
}

/** nn.DataParallel's state_dict names every tensor `module.<name>`; the model itself does not. */
function stripDataParallelPrefix(tensors: Map<string, PickledTensor>): Map<string, PickledTensor> {
  if (![...tensors.keys()].every((n) => n.startsWith(DATA_PARALLEL_PREFIX) && n.length > DATA_PARALLEL_PREFIX.length)) return tensors;
  return new Map([...tensors].map(([n, t]) => [n.slice(DATA_PARALLEL_PREFIX.length), t]));
}

// ---------------------------------------------------------------- storages

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** A storage's elements as numbers, in the type matc reads them as. */
function decodeStorage(storage: PickledStorage, element: TorchElement, bytes: Uint8Array, littleEndian: boolean, source: string): TensorValues {
  const n = storage.elements;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (element) {
    case 'f32':
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, littleEndian));
    case 'f16':
      return Float32Array.from({ length: n }, (_, i) => halfToFloat(view.getUint16(i * 2, littleEndian)));
    case 'bf16': {
      // bfloat16 is the top half of a float32.
      const bits = Uint32Array.from({ length: n }, (_, i) => view.getUint16(i * 2, littleEndian) << 16);
      return new Float32Array(bits.buffer);
    }
    case 'f64':
      return Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, littleEndian));
    case 'i32':
      return Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, littleEndian));
    case 'i64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(i * 8, littleEndian);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new CheckpointError(source, `storage data/${storage.key} holds ${v} at index ${i}, too large to read exactly as a number`);
        }
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** Every storage the tensors use, decoded once (views of one storage share it), its size checked against its record. */
function readStorages(archive: TorchArchive, tensors: Map<string, PickledTensor>, source: string): Map<PickledStorage, TensorValues> {
  const used = new Map<string, PickledStorage>();
  for (const [name, t] of tensors) {
    const { type } = t.storage;
    if (!type.element) throw new CheckpointError(source, `tensor ${name} is stored as ${type.name}, which matc does not read (it reads float32, float16, bfloat16, float64, int64 and int32 tensors)`);
    used.set(t.storage.key, t.storage);
  }
  const records = archive.storages(used.keys());
  const decoded = new Map<PickledStorage, TensorValues>();
  for (const [key, storage] of used) {
    const record = `${archive.prefix}data/${key}`;
    const bytes = records.get(key);
    if (!bytes) throw new CheckpointError(source, `the storage record ${record} is missing from the archive (it is incomplete)`);
    const element = storage.type.element!;
    const needed = storage.elements * elementBytes[element];
    if (bytes.length !== needed) {
      throw new CheckpointError(source, `the storage record ${record} holds ${bytes.length} bytes, but the pickle declares ${storage.elements} elements of ${storage.type.name} (${needed} bytes)`);
    }
    decoded.set(storage, decodeStorage(storage, element, bytes, archive.littleEndian, source));
  }
  return decoded;
}

// ---------------------------------------------------------------- tensors

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isCounts = (v: unknown): v is number[] => Array.isArray(v) && v.every(isCount);

interface Geometry {
  offset: number;
  size: number[];
  stride: number[];
  elements: number;
}

/** Sizes, strides and offset, checked to stay within the storage. */
function geometry(name: string, t: PickledTensor, source: string): Geometry {
  const { offset, size, stride } = t;
  if (!isCount(offset) || !isCounts(size) || !isCounts(stride) || size.length !== stride.length) {
    throw new CheckpointError(source, `tensor ${name} has an invalid layout (offset ${JSON.stringify(offset)}, sizes ${JSON.stringify(size)}, strides ${JSON.stringify(stride)})`);
  }
  const elements = size.reduce((a, b) => a * b, 1);
  if (elements === 0) return { offset, size, stride, elements };
  const last = size.reduce((at, d, i) => at + (d - 1) * stride[i]!, offset);
  if (!Number.isSafeInteger(elements) || last >= t.storage.elements) {
    throw new CheckpointError(
      source,
      `tensor ${name}: sizes [${size.join(', ')}], strides [${stride.join(', ')}] and offset ${offset} reach element ${last}, past the end of its storage of ${t.storage.elements} elements`,
    );
  }
  return { offset, size, stride, elements };
}

/** The tensor's elements in C order, gathered from its storage. */
function gather(g: Geometry, storage: TensorValues): TensorValues {
  const out = new (storage.constructor as new (n: number) => TensorValues)(g.elements);
  const rank = g.size.length;
  const index = new Array<number>(rank).fill(0);
  let at = g.offset;
  for (let k = 0; k < g.elements; k++) {
    out[k] = storage[at]!;
    // Advance the multi-index like an odometer, moving `at` by the strides.
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < g.size[d]!) {
        at += g.stride[d]!;
        break;
      }
      at -= (g.size[d]! - 1) * g.stride[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * A bound on the elements all tensors may have together, from the file's size. Views can repeat
 * storage elements (stride 0, tied weights), so a small file could otherwise ask for any amount of
 * memory; a real state_dict stays far below this.
 */
const elementBudget = (fileBytes: number): number => 4 * fileBytes + 2 ** 20;

/** Decode a torch.save checkpoint held in `bytes`; `source` names it in errors. */
export function decodeTorchCheckpoint(bytes: Uint8Array, source: string): SafetensorsContents {
  const archive = openTorchArchive(bytes, source);
  const pickled = findStateDict(unpickleCheckpoint(archive.pickle, source), source);
  const geometries = new Map([...pickled].map(([name, t]) => [name, geometry(name, t, source)]));
  const total = [...geometries.values()].reduce((a, g) => a + g.elements, 0);
  if (total > elementBudget(bytes.length)) {
    throw new CheckpointError(source, `the tensors would hold ${total} elements, more than a ${bytes.length}-byte checkpoint can (its views repeat storage elements too often)`);
  }
  const storages = readStorages(archive, pickled, source);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, t] of pickled) {
    const g = geometries.get(name)!;
    tensors.set(name, { dtype: readAs[t.storage.type.element!], shape: g.size, data: gather(g, storages.get(t.storage)!) });
  }
  return { tensors, metadata: {} };
}

/** Read a torch.save checkpoint (.pt, .pth) as the tensors of its state_dict. */
export async function readTorchCheckpoint(path: string): Promise<SafetensorsContents> {
  return decodeTorchCheckpoint(await readCheckpointBytes(path), path);
}
