/**
 * The op table: every op definition of src/ops, gathered explicitly from the family modules
 * (nothing registers itself on import). Its type, OpTable, has one entry per name of the IR's
 * op vocabulary (src/ir/op-attrs.ts), so an op added there without a definition, or defined
 * under another name, does not compile. A Graph is built with this table (`new Graph(OPS)`).
 */
import type { OpName } from '../ir/op-attrs.js';
import type { OpDef, OpTable } from '../ir/op.js';
import { InternalError } from '../util/internal-error.js';
import { arithmeticOps, selectionOps, unaryOps } from './elementwise.js';
import { layoutOps } from './shape.js';
import { indexingOps } from './indexing.js';
import { randomOps } from './random.js';
import { reduceOps } from './reduce.js';
import { softmaxOps } from './softmax.js';
import { lossOps } from './losses.js';
import { batchNormOps } from './batchnorm.js';
import { matmulOps } from './matmul.js';
import { convOps } from './conv.js';
import { poolOps } from './pool.js';
import { linfProjectionOps } from './projection.js';
import { l2ProjectionOps } from './projection-l2.js';

const FAMILIES = [
  arithmeticOps, unaryOps, selectionOps, layoutOps, indexingOps, randomOps, reduceOps, softmaxOps,
  lossOps, batchNormOps, matmulOps, convOps, poolOps, linfProjectionOps, l2ProjectionOps,
] as const;

/** Fails on a name defined by two families (a spread would keep the last silently) or filed under another name. */
function checkFamilies(families: readonly Readonly<Record<string, OpDef>>[]): void {
  const seen = new Set<string>();
  for (const family of families) {
    for (const [key, def] of Object.entries(family)) {
      if (seen.has(key)) throw new InternalError(`op '${key}' defined twice`);
      if (def.name !== key) throw new InternalError(`op '${def.name}' filed under '${key}'`);
      seen.add(key);
    }
  }
}
checkFamilies(FAMILIES);

// `satisfies` keeps each entry's own type (OPS.reshape is a KernelOpDef<'reshape'>).
export const OPS = {
  ...arithmeticOps, ...unaryOps, ...selectionOps, ...layoutOps, ...indexingOps, ...randomOps, ...reduceOps,
  ...softmaxOps, ...lossOps, ...batchNormOps, ...matmulOps, ...convOps, ...poolOps, ...linfProjectionOps,
  ...l2ProjectionOps,
} satisfies OpTable;

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}

/** The definition of an op by name (for tools and tests that hold names as strings). */
export function getOp(name: string): OpDef {
  if (!isOpName(name)) throw new InternalError(`unknown op '${name}'`);
  const def: OpDef = OPS[name];
  return def;
}

export function allOps(): OpDef[] {
  return Object.values<OpDef>(OPS);
}
