/**
 * Comparing a checkpoint's tensors with what a model (and optimizer, and training state) expects,
 * reported like PyTorch's load_state_dict: missing keys, unexpected keys and size mismatches, each
 * with shapes, the first few listed and the rest counted; plus, when the file looks like another
 * standard architecture, which one (its key set compared with each stdlib architecture's listing).
 */
import { join } from 'node:path';
import { instantiateModel, standardLibraryDir } from '../check/index.js';
import { shapeText } from './safetensors.js';

/** What a loader expects of one tensor of the file. */
export interface ExpectedTensor {
  /** Name in the file. */
  file: string;
  /** Undefined: any shape. */
  shape: readonly number[] | undefined;
  /** Who expects it, for messages: 'the model', 'the optimizer', 'the training state'. */
  owner: string;
}

export interface StateDictMismatch {
  missing: { name: string; shape: readonly number[] | undefined; owner: string }[];
  unexpected: { name: string; shape: readonly number[] }[];
  sizeMismatches: { name: string; file: readonly number[]; expected: readonly number[]; owner: string }[];
}

/** The differences between `expected` and the file's name -> shape map; unexpected keys only when strict. */
export function compareStateDict(expected: readonly ExpectedTensor[], file: ReadonlyMap<string, readonly number[]>, strict = true): StateDictMismatch {
  const names = new Set(expected.map((e) => e.file));
  const result: StateDictMismatch = { missing: [], unexpected: [], sizeMismatches: [] };
  for (const e of expected) {
    const shape = file.get(e.file);
    if (!shape) result.missing.push({ name: e.file, shape: e.shape, owner: e.owner });
    else if (e.shape && shapeText([...shape]) !== shapeText([...e.shape])) result.sizeMismatches.push({ name: e.file, file: shape, expected: e.shape, owner: e.owner });
  }
  if (strict) for (const [name, shape] of file) if (!names.has(name)) result.unexpected.push({ name, shape });
  return result;
}

export const isEmptyMismatch = (m: StateDictMismatch): boolean => m.missing.length + m.unexpected.length + m.sizeMismatches.length === 0;

/** Entries listed per kind of problem before the rest are counted. */
export const MAX_KEYS_SHOWN = 5;

function compactList(items: readonly string[], limit: number): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown}, ... and ${items.length - limit} more` : shown;
}

const ownerNote = (owner: string): string => (owner === 'the model' ? '' : ` (${owner})`);

/**
 * One line per kind of problem, e.g.
 *   missing keys (2): fc.weight [10, 640], fc.bias [10]
 *   unexpected keys (1): linear.weight [10, 512]
 *   size mismatches (1): conv1.weight: [16, 1, 3, 3] in the file, the model expects [16, 3, 3, 3]
 */
export function formatStateDictMismatch(m: StateDictMismatch, limit = MAX_KEYS_SHOWN): string[] {
  const lines: string[] = [];
  if (m.missing.length > 0) {
    lines.push(`missing keys (${m.missing.length}): ${compactList(m.missing.map((k) => `${k.name}${k.shape ? ` ${shapeText([...k.shape])}` : ''}${ownerNote(k.owner)}`), limit)}`);
  }
  if (m.unexpected.length > 0) lines.push(`unexpected keys (${m.unexpected.length}): ${compactList(m.unexpected.map((k) => `${k.name} ${shapeText([...k.shape])}`), limit)}`);
  if (m.sizeMismatches.length > 0) {
    lines.push(`size mismatches (${m.sizeMismatches.length}): ${compactList(m.sizeMismatches.map((k) => `${k.name}: ${shapeText([...k.file])} in the file, ${k.owner} expects ${shapeText([...k.expected])}`), limit)}`);
  }
  return lines;
}

// ---------------------------------------------------------------- which architecture is this?

/** A standard architecture with fixed arguments whose key set a file may have. */
interface Candidate {
  model: string;
  args: Record<string, number | boolean>;
}

/** The variants whose state_dict names differ (arguments that change only the computation, such as shortcut_preact, cannot be told apart by keys). */
const candidates: readonly Candidate[] = [
  { model: 'resnet18', args: {} },
  { model: 'preact_resnet18', args: { final_bn: true } },
  { model: 'preact_resnet18', args: { final_bn: false } },
  { model: 'wrn28_10', args: {} },
  { model: 'wrn28_10', args: { sub_block1: true } },
  { model: 'wrn28_10', args: { bias_last: false } },
  { model: 'wrn28_10', args: { sub_block1: true, bias_last: false } },
  { model: 'wrn34_10', args: {} },
  { model: 'wrn34_10', args: { sub_block1: true } },
  { model: 'small_cnn', args: {} },
  { model: 'mlp', args: {} },
];

export interface ArchitectureMatch {
  model: string;
  /** The candidate's arguments, with `classes` when the file's classifier has another number of outputs. */
  args: Record<string, number | boolean>;
  /** How to write it in a pipeline, e.g. `wrn34_10(classes: 100, sub_block1: true)`. */
  call: string;
  /** Keys with the same name and shape in the file and the architecture. */
  matched: number;
  /** Keys in either. */
  total: number;
  /** matched / total, in [0, 1]. */
  score: number;
}

type Listing = { name: string; shape: number[]; trainable: boolean }[];

const listingCache = new Map<string, Listing | undefined>();

function listingOf(model: string, args: Record<string, number | boolean>, library: string): Listing | undefined {
  const key = `${library}|${model}|${JSON.stringify(args)}`;
  if (!listingCache.has(key)) {
    const { model: resolved } = instantiateModel(join(library, 'models', `${model}.mat`), model, args);
    listingCache.set(key, resolved?.stateDict.map((t) => ({ name: t.name, shape: [...t.shape], trainable: t.trainable })));
  }
  return listingCache.get(key);
}

/** The classes of the file's classifier: the first dimension of the tensor named like the architecture's last weight. */
function inferredClasses(listing: Listing, keys: ReadonlyMap<string, readonly number[]>): number | undefined {
  const classifier = [...listing].reverse().find((t) => t.trainable && t.name.endsWith('weight') && t.shape.length === 2);
  const shape = classifier ? keys.get(classifier.name) : undefined;
  return shape && shape.length === 2 ? shape[0] : undefined;
}

const callText = (model: string, args: Record<string, number | boolean>): string => {
  const entries = Object.entries(args);
  return entries.length === 0 ? model : `${model}(${entries.map(([k, v]) => `${k}: ${v}`).join(', ')})`;
};

/**
 * The standard architectures ranked by how well a file's name -> shape map fits them, best first,
 * each with its arguments (classes inferred from the file's final layer). Keys of training states
 * (`optimizer.*`, `state.*`) are ignored.
 */
export function rankArchitectures(keys: ReadonlyMap<string, readonly number[]>, library = standardLibraryDir()): ArchitectureMatch[] {
  const modelKeys = new Map([...keys].filter(([name]) => !name.startsWith('optimizer.') && !name.startsWith('state.')));
  const matches: ArchitectureMatch[] = [];
  for (const candidate of candidates) {
    let args = candidate.args;
    let listing = listingOf(candidate.model, args, library);
    if (!listing) continue;
    const classes = inferredClasses(listing, modelKeys);
    if (classes !== undefined && classes !== 10) {
      args = { classes, ...candidate.args };
      listing = listingOf(candidate.model, args, library) ?? listing;
    }
    let matched = 0;
    let common = 0;
    for (const t of listing) {
      const shape = modelKeys.get(t.name);
      if (!shape) continue;
      common++;
      if (shapeText([...shape]) === shapeText(t.shape)) matched++;
    }
    const total = listing.length + modelKeys.size - common;
    matches.push({ model: candidate.model, args, call: callText(candidate.model, args), matched, total, score: total === 0 ? 0 : matched / total });
  }
  return matches.sort((a, b) => b.score - a.score);
}

/** Below this share of matching keys, a suggestion would mislead more than help. */
const SUGGESTION_THRESHOLD = 0.5;

/** `these keys look like wrn34_10(sub_block1: true) (100% of keys match)`, or undefined when nothing is close. */
export function suggestArchitecture(keys: ReadonlyMap<string, readonly number[]>, library?: string): string | undefined {
  const best = rankArchitectures(keys, library)[0];
  if (!best || best.score < SUGGESTION_THRESHOLD) return undefined;
  const percent = Math.floor(best.score * 100);
  return `these keys look like ${best.call} (${percent}% of keys match)`;
}
