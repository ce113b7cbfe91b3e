/**
 * A restricted unpickler for the data.pkl of a torch.save archive.
 *
 * Unpickling runs whatever the pickle names (a pickle is a program: GLOBAL fetches any Python
 * callable, REDUCE calls it), so a checkpoint from the internet can run a shell command in
 * Python's `torch.load`. Here nothing runs: pickleparser interprets the opcodes, and every global
 * it asks for goes through `resolveGlobal`, which knows only the handful a state_dict is made of
 * and answers those with inert JavaScript stand-ins. Any other global stops the parse with a
 * CheckpointError naming it, before anything could use it.
 *
 * What comes out: dicts and OrderedDicts as Maps, lists and tuples as arrays, numbers, strings,
 * booleans, null, and tensors as `PickledTensor` (storage, offset, sizes, strides: no data yet).
 */
import { Parser } from 'pickleparser';
import { CheckpointError } from './safetensors.js';

/** A storage class of a torch.save pickle (torch.FloatStorage, ...), by element type. */
export interface StorageType {
  /** The Python name, e.g. `FloatStorage`, for messages. */
  name: string;
  /** The element type, or undefined for the ones matc does not read (bool, int8, complex, ...). */
  element: TorchElement | undefined;
}

export type TorchElement = 'f32' | 'f16' | 'bf16' | 'f64' | 'i64' | 'i32';

export const elementBytes: Record<TorchElement, number> = { f32: 4, f16: 2, bf16: 2, f64: 8, i64: 8, i32: 4 };

/** Storage classes torch.save names (`pickle_storage_type()`); the element type of those matc reads. */
const storageElements: Record<string, TorchElement | undefined> = {
  FloatStorage: 'f32',
  HalfStorage: 'f16',
  BFloat16Storage: 'bf16',
  DoubleStorage: 'f64',
  LongStorage: 'i64',
  IntStorage: 'i32',
  ShortStorage: undefined,
  CharStorage: undefined,
  ByteStorage: undefined,
  BoolStorage: undefined,
  ComplexFloatStorage: undefined,
  ComplexDoubleStorage: undefined,
  QInt8Storage: undefined,
  QUInt8Storage: undefined,
  QInt32Storage: undefined,
  QUInt4x2Storage: undefined,
  QUInt2x4Storage: undefined,
  // A raw byte storage: what torch.save names when one saves an UntypedStorage itself.
  UntypedStorage: undefined,
};

/** dtype objects (torch.float32, ...) pickle as globals of the torch module; they are inert names here. */
const dtypeNames = new Set([
  'float16', 'bfloat16', 'float32', 'float64', 'half', 'float', 'double',
  'int8', 'int16', 'int32', 'int64', 'uint8', 'bool', 'long', 'int', 'short',
]);

/** One storage record of the archive (`data/<key>`), as the pickle declares it. */
export interface PickledStorage {
  key: string;
  type: StorageType;
  /** Elements the pickle says the storage has; checked against the record's bytes. */
  elements: number;
}

/** A tensor: a strided view of a storage. Frozen, so that a BUILD opcode cannot alter one. */
export class PickledTensor {
  constructor(
    readonly storage: PickledStorage,
    readonly offset: unknown,
    readonly size: unknown,
    readonly stride: unknown,
  ) {
    Object.freeze(this);
  }
  /** pickleparser calls this for a BUILD opcode on the tensor, which torch.save never writes. */
  __setstate__(): never {
    throw new PickleRefusal('the pickle sets attributes on a tensor, which a torch.save state_dict never does');
  }
}

/** collections.OrderedDict. Its pickled attributes (`_metadata`: module versions) are not tensors and are dropped. */
export class PickledDict extends Map<unknown, unknown> {
  __setstate__(): void {}
}

/** A refusal raised inside the parse; becomes a CheckpointError naming the file. */
class PickleRefusal extends Error {}

type Callable = (...args: unknown[]) => unknown;

/** A stand-in for a Python class that is a name only: calling it is refused. */
function inertName(qualified: string): Callable {
  return () => {
    throw new PickleRefusal(`the pickle calls ${qualified}, which torch.save never does`);
  };
}

const storageTypes = new Map<Callable, StorageType>(
  Object.entries(storageElements).map(([name, element]) => [inertName(`torch.${name}`), { name, element }]),
);
const storageTypeByName = new Map([...storageTypes].map(([marker, type]) => [type.name, marker]));
const dtypeMarkers = new Map([...dtypeNames].map((name) => [name, inertName(`torch.${name}`)]));

/** `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): PickledTensor {
  if (!(storage instanceof StorageHandle)) throw new PickleRefusal('the pickle rebuilds a tensor from something that is not a storage record');
  return new PickledTensor(storage.storage, offset, size, stride);
}

/** `torch._utils._rebuild_parameter(data, requires_grad, backward_hooks[, state])`: a Parameter is its tensor here. */
function rebuildParameter(data: unknown): PickledTensor {
  if (!(data instanceof PickledTensor)) throw new PickleRefusal('the pickle makes a Parameter of something that is not a tensor');
  return data;
}

/** What BINPERSID gives for a storage: a wrapper only rebuildTensor accepts. */
class StorageHandle {
  constructor(readonly storage: PickledStorage) {
    Object.freeze(this);
  }
}

/** The globals a state_dict is made of, and what each becomes. */
function resolveGlobal(module: unknown, name: unknown): Callable {
  const qualified = `${String(module)}.${String(name)}`;
  if (typeof module === 'string' && typeof name === 'string') {
    if (qualified === 'collections.OrderedDict') {
      return (...args: unknown[]) => {
        if (args.length > 0) throw new PickleRefusal('the pickle builds an OrderedDict from arguments, which torch.save never does');
        return new PickledDict();
      };
    }
    if (qualified === 'torch._utils._rebuild_tensor_v2' || qualified === 'torch._utils._rebuild_tensor') return rebuildTensor as Callable;
    if (qualified === 'torch._utils._rebuild_parameter' || qualified === 'torch._utils._rebuild_parameter_with_state') return rebuildParameter as Callable;
    if (module === 'torch' && storageTypeByName.has(name)) return storageTypeByName.get(name)!;
    if (module === 'torch' && dtypeMarkers.has(name)) return dtypeMarkers.get(name)!;
  }
  const wholeModule = module === '__main__' || (typeof module === 'string' && module.startsWith('torch.nn.'));
  throw new PickleRefusal(
    `refuses to load: the pickle asks for global ${qualified}, which a state_dict never needs; matc loads only tensors (never executes code from a checkpoint)` +
      (wholeModule ? '. Was a whole module saved with torch.save(model)? Save model.state_dict() instead' : ''),
  );
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The persistent id torch.save writes for a storage: ('storage', StorageClass, key, location, elements). */
function storageResolver(): (pid: unknown) => StorageHandle {
  const byKey = new Map<string, PickledStorage>();
  return (pid) => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
      throw new PickleRefusal(`the pickle refers to an external object ${describe(pid)}, which is not a torch.save storage record`);
    }
    const [, typeMarker, key, , elements] = pid as unknown[];
    const type = storageTypes.get(typeMarker as Callable);
    if (!type) throw new PickleRefusal(`a storage record names ${describe(typeMarker)} as its type, not a torch storage class`);
    if (typeof key !== 'string' || !isCount(elements)) throw new PickleRefusal(`a storage record has key ${describe(key)} and size ${describe(elements)}, not a string and a count`);
    const known = byKey.get(key);
    if (known && (known.type !== type || known.elements !== elements)) {
      throw new PickleRefusal(`storage record data/${key} is declared twice, as ${known.elements} of ${known.type.name} and as ${elements} of ${type.name}`);
    }
    const storage = known ?? { key, type, elements };
    byKey.set(key, storage);
    return new StorageHandle(storage);
  };
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'a tuple' : 'an object';
}

/** Unpickle `pickle` (the archive's data.pkl) without running anything; `source` names the file in errors. */
export function unpickleCheckpoint(pickle: Uint8Array, source: string): unknown {
  const resolveStorage = storageResolver();
  const parser = new Parser({
    nameResolver: { resolve: resolveGlobal },
    persistentResolver: { resolve: resolveStorage },
    extensionResolver: {
      resolve: (code: number) => {
        throw new PickleRefusal(`the pickle asks for extension code ${code}, which a state_dict never needs`);
      },
    },
    // Maps, not objects: a dict key such as "__proto__" must stay a key.
    unpicklingTypeOfDictionary: 'Map',
    unpicklingTypeOfSet: 'array',
  });
  try {
    return parser.parse(pickle);
  } catch (e) {
    if (e instanceof PickleRefusal) throw new CheckpointError(source, e.message.startsWith('refuses') ? e.message : `refuses to load: ${e.message}`);
    throw new CheckpointError(source, `the archive's data.pkl is not a pickle matc can read (${(e as Error).message})`);
  }
}
