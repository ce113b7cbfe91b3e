/**
 * Checkpoints: device variables to and from safetensors files.
 *
 * - A model file (`saveModel`) holds exactly the PyTorch `state_dict()` of the equivalent module,
 *   same names, shapes and dtypes (num_batches_tracked as an int64 scalar), so
 *   `model.load_state_dict(safetensors.torch.load_file(path))` works with strict checking.
 * - A training state (`saveTrainingState`) adds what an exact resume needs: optimizer slots as
 *   `optimizer.<param>.<slot>`, per-example state as `state.<name>`, and the loop's position
 *   (epoch, step, seed, best so far) as JSON in the `__metadata__` key `matc`.
 *
 * Loads check everything before writing anything to the device, so a checkpoint that does not fit
 * leaves the variables as they were. Saves are atomic (see atomic-write.ts).
 */
import type { ResolvedModel, TensorSpec } from '../check/resolved.js';
import { z } from 'zod';
import { modelVariableName } from '../lower/model.js';
import { assertFiniteTensors } from './checkpoint-finite.js';
import { optimizerStateName } from '../lower/optimizer.js';
import { stateVar } from '../lower/variables.js';
import {
  CheckpointError,
  elementCount,
  readSafetensors,
  shapeText,
  writeSafetensors,
  type SafetensorsContents,
  type SafetensorsDType,
  type StoredTensor,
  type TensorToWrite,
} from './safetensors.js';
import { readModelFile } from './model-file.js';
import { compareStateDict, formatStateDictMismatch, isEmptyMismatch, suggestArchitecture } from './state-dict-match.js';

export { CheckpointError } from './safetensors.js';

export type DeviceValues = Float32Array | Int32Array | Uint32Array;
export type DeviceDType = 'f32' | 'i32' | 'u32';

/** What checkpoints need of the runtime's VariableStore (a fake one in tests). */
export interface CheckpointStore {
  read(name: string): Promise<DeviceValues>;
  /** With `shape`, creates the variable if needed (VariableStore semantics). */
  write(name: string, data: DeviceValues, shape?: readonly number[], dtype?: DeviceDType): void;
  has(name: string): boolean;
  /** The variable's shape, when the store knows it (VariableStore does); per-example state keeps its shape through it. */
  get?(name: string): { shape: readonly number[] };
}

// ---------------------------------------------------------------- names

export const TRAINING_STATE_FORMAT = 'matc-training-state-1';
/** The `__metadata__` key of a training state's JSON metadata. */
export const TRAINING_METADATA_KEY = 'matc';

export const optimizerTensorName = (param: string, slot: string): string => `optimizer.${param}.${slot}`;
export const stateTensorName = (state: string): string => `state.${state}`;

export interface StateDictEntry {
  /** The PyTorch state_dict key, e.g. `layer1.0.bn1.running_mean`. */
  name: string;
  shape: number[];
  dtype: 'float32' | 'int64';
  /** A parameter (true) or a buffer such as batch-norm statistics (false). */
  trainable: boolean;
}

/** The model's state_dict as it appears in a model checkpoint, in PyTorch order. */
export function stateDictListing(model: ResolvedModel): StateDictEntry[] {
  return model.stateDict.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype, trainable: s.trainable }));
}

/** One line per entry, `name [d0, d1] dtype`, names padded to align, e.g. for docs. */
export function formatStateDictListing(listing: readonly StateDictEntry[]): string {
  const width = Math.max(0, ...listing.map((e) => e.name.length));
  return listing.map((e) => `${e.name.padEnd(width)}  ${shapeText(e.shape)}${e.dtype === 'int64' ? ' int64' : ''}`).join('\n');
}

// ---------------------------------------------------------------- metadata of a training state

/**
 * What the loop remembers about the best checkpoint so far (the one in model-best.safetensors).
 * The loop may store its own record type (e.g. a whole epoch record): anything with an epoch.
 */
export interface BestSoFar {
  epoch: number;
  test_robust_acc?: number | null;
  test_natural_acc?: number | null;
}

/** The training loop's position; resume continues with epoch `epoch + 1` at global step `step`. */
export interface TrainingMetadata<Best extends { epoch: number } = BestSoFar> {
  /** Epochs completed (1-based numbering: after the first epoch this is 1). */
  epoch: number;
  /** Optimizer steps completed; the next step's counter-based random numbers use this value. */
  step: number;
  seed: number;
  /** The pipeline's name, to refuse resuming a different pipeline. */
  pipeline: string;
  best: Best | null;
  /** Anything else the loop needs to continue exactly; must survive JSON.stringify. */
  [key: string]: unknown;
}

const count = z.int().nonnegative();
/** What resuming relies on; other keys pass through (the loop's own extras). */
const trainingMetadataSchema = z.looseObject({
  epoch: count,
  step: count,
  seed: count,
  pipeline: z.string(),
  best: z.looseObject({ epoch: count, test_robust_acc: z.number().nullable().optional(), test_natural_acc: z.number().nullable().optional() }).nullable(),
});
const FIELD_PROBLEMS: Record<string, string> = {
  epoch: 'epoch is not a non-negative integer',
  step: 'step is not a non-negative integer',
  seed: 'seed is not a non-negative integer',
  pipeline: 'pipeline is not a string',
  best: 'best is neither null nor an object with an epoch',
};

function parseTrainingMetadata(path: string, metadata: Record<string, string>): TrainingMetadata {
  if (metadata.format !== TRAINING_STATE_FORMAT) {
    const found = metadata.format === undefined ? 'has no format in its metadata' : `has format ${JSON.stringify(metadata.format)}`;
    throw new CheckpointError(path, `not a matc training state: the file ${found}, expected ${JSON.stringify(TRAINING_STATE_FORMAT)} (a model file cannot resume training; it only holds weights)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata[TRAINING_METADATA_KEY] ?? '');
  } catch {
    throw new CheckpointError(path, `the metadata key '${TRAINING_METADATA_KEY}' is missing or not JSON`);
  }
  const checked = trainingMetadataSchema.safeParse(parsed);
  if (!checked.success) {
    // One line per bad field, in the words of FIELD_PROBLEMS (zod may report several issues for one field).
    const problems = new Set(checked.error.issues.map((i) => (i.path.length ? FIELD_PROBLEMS[String(i.path[0])] : 'it is not an object')));
    throw new CheckpointError(path, `invalid training metadata: ${[...problems].join('; ')}`);
  }
  return checked.data;
}

// ---------------------------------------------------------------- what goes into a file

/** A tensor of a checkpoint and the device variable it comes from and goes to. */
interface Slot {
  /** Name in the file. */
  file: string;
  variable: string;
  /** Expected shape; undefined: whatever the device (on save) or the file (on load) has. */
  shape: number[] | undefined;
  /** File dtype on save; undefined: from the device values' type. */
  dtype: SafetensorsDType | undefined;
  /** Who expects the tensor, for messages: 'the model', 'the optimizer', 'the training state'. */
  owner: string;
}

const modelSlots = (model: ResolvedModel): Slot[] =>
  model.stateDict.map((s: TensorSpec) => ({
    file: s.name,
    variable: modelVariableName(s.name),
    shape: [...s.shape],
    dtype: s.dtype === 'int64' ? 'I64' : 'F32',
    owner: 'the model',
  }));

export interface TrainingStateParts {
  model: ResolvedModel;
  store: CheckpointStore;
  /** State_dict names of the trainable parameters the optimizer updates. */
  optimizerParams: readonly string[];
  /** Per-parameter optimizer slots, e.g. ['momentum_buffer'] (see optimizerSlots in optimizer.ts). */
  optimizerSlots: readonly string[];
  /** Per-example state buffers (device variables `state/<name>`). */
  stateNames: readonly string[];
}

function trainingSlots(parts: TrainingStateParts): Slot[] {
  const specs = new Map(parts.model.stateDict.map((s) => [s.name, s]));
  const optimizer: Slot[] = parts.optimizerParams.flatMap((param) => {
    const spec = specs.get(param);
    if (!spec || !spec.trainable) throw new Error(`checkpoint: optimizer parameter '${param}' is not a trainable parameter of the model`);
    return parts.optimizerSlots.map((slot) => ({
      file: optimizerTensorName(param, slot),
      variable: optimizerStateName(param, slot),
      shape: [...spec.shape],
      dtype: 'F32' as const,
      owner: 'the optimizer',
    }));
  });
  const states: Slot[] = parts.stateNames.map((name) => {
    const variable = stateVar(name);
    const known = parts.store.has(variable) ? parts.store.get?.(variable)?.shape : undefined;
    return { file: stateTensorName(name), variable, shape: known ? [...known] : undefined, dtype: undefined, owner: 'the training state' };
  });
  return [...modelSlots(parts.model), ...optimizer, ...states];
}

// ---------------------------------------------------------------- saving

const dtypeOfValues = (v: DeviceValues): SafetensorsDType => (v instanceof Int32Array ? 'I32' : v instanceof Uint32Array ? 'U32' : 'F32');

async function readSlots(path: string, slots: readonly Slot[], store: CheckpointStore): Promise<TensorToWrite[]> {
  const tensors: TensorToWrite[] = [];
  for (const slot of slots) {
    if (!store.has(slot.variable)) throw new CheckpointError(path, `cannot save ${slot.file}: there is no device variable ${slot.variable}`);
    const data = await store.read(slot.variable);
    const shape = slot.shape ?? [data.length];
    if (data.length !== elementCount(shape)) {
      throw new CheckpointError(path, `cannot save ${slot.file}: the device variable ${slot.variable} has ${data.length} values, ${slot.owner} expects shape ${shapeText(shape)}`);
    }
    tensors.push({ name: slot.file, dtype: slot.dtype ?? dtypeOfValues(data), shape, data });
  }
  return tensors;
}

/** Model metadata values are stored as strings; `format: pt` tells Hugging Face tools these are PyTorch tensors. */
export type ModelMetadata = Record<string, string | number | boolean>;

/** Write the model's state_dict (device variables `model/<name>`) to `path`, atomically. */
export async function saveModel(path: string, model: ResolvedModel, store: CheckpointStore, metadata: ModelMetadata = {}): Promise<void> {
  const tensors = await readSlots(path, modelSlots(model), store);
  const strings: Record<string, string> = { format: 'pt' };
  for (const [k, v] of Object.entries(metadata)) strings[k] = String(v);
  await writeSafetensors(path, tensors, strings);
}

/** Write everything `loadTrainingState` needs to continue the run exactly, atomically. */
export async function saveTrainingState<Best extends { epoch: number }>(path: string, parts: TrainingStateParts & { metadata: TrainingMetadata<Best> }): Promise<void> {
  const tensors = await readSlots(path, trainingSlots(parts), parts.store);
  await writeSafetensors(path, tensors, { format: TRAINING_STATE_FORMAT, [TRAINING_METADATA_KEY]: JSON.stringify(parts.metadata) });
}

// ---------------------------------------------------------------- loading

export interface LoadOptions {
  /** Refuse tensors in the file that nothing expects (default true, like PyTorch's load_state_dict). */
  strict?: boolean;
}

const deviceDTypeOf = (t: StoredTensor): DeviceDType => (t.dtype === 'I32' ? 'i32' : t.dtype === 'U32' ? 'u32' : 'f32');

function toDeviceValues(t: StoredTensor, dtype: DeviceDType): DeviceValues {
  if (dtype === 'f32') return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  if (dtype === 'i32') return t.data instanceof Int32Array ? t.data : Int32Array.from(t.data);
  return t.data instanceof Uint32Array ? t.data : Uint32Array.from(t.data);
}

/**
 * Check the file against the slots (all problems at once, reported like PyTorch's load_state_dict,
 * see state-dict-match.ts), then write every slot to the store.
 */
function loadSlots(path: string, contents: SafetensorsContents, slots: readonly Slot[], store: CheckpointStore, options: LoadOptions): void {
  const fileShapes = new Map([...contents.tensors].map(([name, t]) => [name, t.shape] as const));
  const mismatch = compareStateDict(slots, fileShapes, options.strict ?? true);
  if (!isEmptyMismatch(mismatch)) {
    const suggestion = suggestArchitecture(fileShapes);
    const lines = [...formatStateDictMismatch(mismatch), ...(suggestion ? [suggestion] : [])];
    throw new CheckpointError(path, `the file's tensors do not match:\n  ${lines.join('\n  ')}`);
  }
  assertFiniteTensors(path, contents, slots.map((s) => s.file));
  for (const slot of slots) {
    const t = contents.tensors.get(slot.file)!;
    // Models and optimizers live in f32 on the device (counters too); state keeps integer types.
    const dtype = slot.dtype ? 'f32' : deviceDTypeOf(t);
    store.write(slot.variable, toDeviceValues(t, dtype), t.shape, dtype);
  }
}

/**
 * Load a model file's tensors into the device variables `model/<name>`. With `strict: false`,
 * tensors the model does not have are ignored (e.g. loading the weights of a training state).
 * The file is safetensors or a PyTorch torch.save checkpoint (see model-file.ts).
 * Returns the file's metadata ({} for a PyTorch checkpoint).
 */
export async function loadModel(path: string, model: ResolvedModel, store: CheckpointStore, options: LoadOptions = {}): Promise<Record<string, string>> {
  const contents = await readModelFile(path);
  loadSlots(path, contents, modelSlots(model), store, options);
  return contents.metadata;
}

/** Load a training state into the device variables and return where the loop stopped. */
export async function loadTrainingState<Best extends { epoch: number } = BestSoFar>(
  path: string,
  parts: TrainingStateParts & LoadOptions & { /** Refuse a state saved by another pipeline. */ pipeline?: string },
): Promise<TrainingMetadata<Best>> {
  const contents = await readSafetensors(path);
  const metadata = parseTrainingMetadata(path, contents.metadata) as TrainingMetadata<Best>;
  if (parts.pipeline !== undefined && metadata.pipeline !== parts.pipeline) {
    throw new CheckpointError(path, `the training state is of pipeline ${metadata.pipeline}, not ${parts.pipeline}; resume with the pipeline that started the run`);
  }
  loadSlots(path, contents, trainingSlots(parts), parts.store, parts);
  return metadata;
}
