/**
 * Settings of a pipeline (`data`, `train`, `evaluate` blocks), validated by one zod schema that the
 * checker, the CLI `--set key=value` and the TypeScript embedding API all share.
 *
 * Values arrive as "raw settings": plain JSON-like data converted from the source (see raw-value.ts):
 * identifiers become strings, calls become `{ kind, args: [positional...], ...named }`. The schemas
 * normalize calls (`first(5000)` -> `{ kind: 'first', count: 5000 }`) and fill defaults, and they
 * accept their own output, so validated settings can be edited and validated again.
 */
import { z } from 'zod';

/** Map a raw call's positional arguments onto names: `{kind, args: [a, b]}` -> `{kind, n1: a, n2: b}`. */
function normalizeCall(kind: string, positional: readonly string[]) {
  return (value: unknown): unknown => {
    if (value === kind) return { kind };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const record = value as Record<string, unknown>;
    if (record.kind !== kind || !Array.isArray(record.args)) return value;
    const { args, ...named } = record;
    const out: Record<string, unknown> = { ...named };
    (args as unknown[]).forEach((arg, i) => {
      const name = positional[i];
      out[name ?? `argument ${i + 1}`] = arg;
    });
    return out;
  };
}

/** The argument names of every call-like settings value, by kind: for messages and suggestions. */
export const callArguments: Record<string, string[]> = {};

/** A call-like settings value `kind(a, b, name: c)` with the given argument names. */
function call<K extends string, S extends z.ZodRawShape>(kind: K, positional: readonly string[], shape: S) {
  callArguments[kind] = Object.keys(shape);
  return z.preprocess(normalizeCall(kind, positional), z.strictObject({ kind: z.literal(kind), ...shape }));
}

/** Integers with a message people understand ("expected a whole number", not zod's "expected int"). */
const wholeNumber = () => z.int({ error: (issue) => (issue.code === 'invalid_type' ? 'expected a whole number' : undefined) });
const positiveInt = wholeNumber().positive();
const nonNegative = z.number().nonnegative();

// ---------------------------------------------------------------- data

export const datasetNames = ['fashion_mnist', 'mnist', 'cifar10', 'cifar100', 'svhn'] as const;

/** Which examples of a split: `all`, `first(n)` (file order), `range(start, end)` (0-based, end exclusive), `random(n, seed: s)`. */
export const SubsetSchema = z.union([
  call('all', [], {}),
  call('first', ['count'], { count: positiveInt }),
  call('range', ['start', 'end'], { start: wholeNumber().nonnegative(), end: positiveInt }),
  call('random', ['count', 'seed'], { count: positiveInt, seed: wholeNumber().nonnegative().default(0) }),
]);
export type Subset = z.infer<typeof SubsetSchema>;

/** Training augmentations: `crop(padding)` (random crop after zero padding) and `flip` (horizontal, p = 0.5). */
export const AugmentSchema = z.union([
  call('crop', ['padding'], { padding: wholeNumber().nonnegative() }),
  call('flip', [], {}),
]);

export const dataShape = {
  dataset: z.enum(datasetNames),
  /** Where the dataset files are; empty means the default data directory of the runtime. */
  path: z.string().default(''),
  /** Training examples used. */
  subset: SubsetSchema.default({ kind: 'all' }),
  /** Test examples used by evaluations that do not name their own subset. */
  test_subset: SubsetSchema.default({ kind: 'all' }),
  augment: z.array(AugmentSchema).default([]),
  /** Fraction of training labels replaced by random wrong labels (memorization experiments). */
  label_noise: z.number().min(0).max(1).default(0),
};
export const DataSettingsSchema = z.strictObject(dataShape);

// ---------------------------------------------------------------- train

export const OptimizerSchema = z.union([
  call('sgd', ['lr'], {
    lr: z.number().positive(),
    momentum: nonNegative.default(0),
    weight_decay: nonNegative.default(0),
    nesterov: z.boolean().default(false),
  }),
  call('adam', ['lr'], {
    lr: z.number().positive(),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.999),
    eps: z.number().positive().default(1e-8),
    weight_decay: nonNegative.default(0),
  }),
]);

/** Milestones are written `{100: 0.01, 150: 0.001}`: after epoch 100 (1-based) the value is 0.01. */
const MilestonesSchema = z.record(z.string().regex(/^\d+$/, 'milestone keys must be epoch numbers'), z.number().positive());

/**
 * Learning rate over epochs: a constant, `piecewise(initial, {epoch: value})` (MultiStepLR style:
 * the value changes after the named epoch), `cosine(initial, final)` over all epochs, or the name of
 * a `schedule` of the pipeline.
 */
export const LearningRateSchema = z.union([
  z.number().positive(),
  call('piecewise', ['initial', 'milestones'], { initial: z.number().positive(), milestones: MilestonesSchema }),
  call('cosine', ['initial', 'final'], { initial: z.number().positive(), final: nonNegative.default(0) }),
  z.string().regex(/^[A-Za-z_]\w*$/, 'a schedule name'),
]);

export const trainShape = {
  epochs: positiveInt.default(1),
  batch: positiveInt.default(128),
  optimizer: OptimizerSchema.default({ kind: 'sgd', lr: 0.1, momentum: 0, weight_decay: 0, nesterov: false }),
  /** Absent: the optimizer's `lr`, constant. */
  lr: LearningRateSchema.optional(),
  seed: wholeNumber().nonnegative().default(0),
};
export const TrainSettingsSchema = z.strictObject(trainShape);

// ---------------------------------------------------------------- evaluate

const ballSchema = z.union([
  call('linf', ['eps'], { eps: z.number().positive() }),
  call('l2', ['eps'], { eps: z.number().positive() }),
]);
const startSchema = z.union([
  call('uniform', [], {}),
  call('none', [], {}),
  call('normal', ['std'], { std: z.number().positive() }),
]);

/**
 * Attacks of an evaluation. `ball` and `step` default to those of the pipeline's first training attack.
 * `cw` is PGD on the margin loss max(z_y - max_{i != y} z_i + kappa, 0); `autoattack` is the standard
 * cascade (APGD-CE, APGD-T, FAB-T, Square).
 */
export const EvaluationAttackSchema = z.union([
  call('natural', [], {}),
  call('pgd', ['steps'], {
    steps: positiveInt.default(10),
    step: z.number().positive().optional(),
    ball: ballSchema.optional(),
    start: startSchema.default({ kind: 'uniform' }),
    restarts: positiveInt.default(1),
  }),
  call('cw', ['steps'], {
    steps: positiveInt.default(1000),
    step: z.number().positive().optional(),
    ball: ballSchema.optional(),
    kappa: nonNegative.default(50),
    start: startSchema.default({ kind: 'uniform' }),
  }),
  call('autoattack', [], { ball: ballSchema.optional(), version: z.enum(['standard']).default('standard') }),
  call('apgd_ce', [], { ball: ballSchema.optional(), steps: positiveInt.default(100) }),
  call('apgd_t', [], { ball: ballSchema.optional(), steps: positiveInt.default(100), targets: positiveInt.default(9) }),
  call('fab_t', [], { ball: ballSchema.optional(), steps: positiveInt.default(100), targets: positiveInt.default(9) }),
  call('square', [], { ball: ballSchema.optional(), queries: positiveInt.default(5000) }),
]);
export type EvaluationAttackSettings = z.infer<typeof EvaluationAttackSchema>;

export const evaluateShape = {
  /** Evaluate after every `every` epochs; 0 means never during training. */
  every: wholeNumber().nonnegative().default(1),
  /** Also evaluate once after training, on `checkpoints`. */
  at_end: z.boolean().default(false),
  checkpoints: z.array(z.enum(['best', 'final'])).default(['final']),
  split: z.enum(['test', 'train']).default('test'),
  /** Absent: `data.test_subset` for the test split, `data.subset` for the train split. */
  subset: SubsetSchema.optional(),
  batch: positiveInt.default(200),
  attacks: z.array(EvaluationAttackSchema).default([{ kind: 'natural' }]),
  /** The attack whose robust accuracy picks the best checkpoint (ties: natural accuracy). */
  select: z.string().optional(),
};
export const EvaluateSettingsSchema = z.strictObject(evaluateShape);
export type EvaluateSettings = z.infer<typeof EvaluateSettingsSchema>;

// ---------------------------------------------------------------- pipeline

export const PipelineSettingsSchema = z.strictObject({
  data: DataSettingsSchema,
  train: TrainSettingsSchema.default(TrainSettingsSchema.parse({})),
  /** Evaluation blocks by name; an unnamed `evaluate { }` is called `default`. */
  evaluate: z.record(z.string(), EvaluateSettingsSchema).default({}),
});
export type PipelineSettings = z.infer<typeof PipelineSettingsSchema>;
/** What a user may write: defaults may be left out and calls may be in raw form. */
export type PipelineSettingsInput = z.input<typeof PipelineSettingsSchema>;

/** The keys each settings object may have, for unknown-key messages and suggestions. */
export const knownSettingKeys: Record<string, readonly string[]> = {
  '': ['data', 'train', 'evaluate'],
  data: Object.keys(dataShape),
  train: Object.keys(trainShape),
  evaluate: Object.keys(evaluateShape),
};

/** One readable line per zod issue, e.g. `train.epochs: expected an integer, got "abc"`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly (string | number)[] = []): { path: string; message: string }[] {
  return issues.map((issue) => {
    const path = [...prefix, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return { path, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `\`${k}\``).join(', ')}` };
    if (issue.code === 'invalid_union') return { path, message: 'not one of the accepted forms' };
    return { path, message: issue.message };
  });
}
