/**
 * The import direction of the whole compiler (docs/architecture.md, "Stages"): the stages below,
 * lowest first. A file may import its own stage and the stages before it, never a later one
 * (type-only imports included), and no file of src/ or codegen/ may take part in a value import
 * cycle. The core's order is what keeps ops out of the IR: the IR defines what an op is and the
 * op vocabulary; src/ops implements the ops with codegen/wgsl's kernel templates; the graph,
 * autodiff, the templates and the executors reach an op's rules through the table a Graph is
 * built with, so none of them imports an op.
 */
import { describe, expect, test } from 'vitest';
import { importCycles, importGraph } from './import-graph.js';

/** Each stage is one or more folders (or files); a stage of several is one step of the order. */
export const STAGES: readonly (readonly string[])[] = [
  ['src/util/'],
  ['src/ir/'], // the tensor graph IR, autodiff
  ['codegen/wgsl/'], // kernel templates
  ['src/ops/'], // the op table: shape rule, CPU reference, gradient, kernel
  ['src/runtime/'], // Dawn device, scheduling, buffer plan, programs
  ['grammar/'], // tokens and parser
  ['src/syntax/'], // AST, diagnostics
  ['src/data/'], // dataset readers
  ['src/layers/'], // layer definitions (check + lowering in one entry)
  ['src/typed/'], // the typed-tree vocabulary: expression types, typed expressions, function names
  ['src/builtins/'], // built-in functions: signature, type rule, lowering, host value
  ['src/expr/'], // the operators' meaning and the one walk over typed expressions
  ['src/check/'], // the checker; its output contract is check/resolved.ts
  ['src/lower/'], // resolved pipeline -> graphs of a training step
  ['src/io/'], // checkpoints, safetensors, .pt, atomic writes, the run directory's files
  ['src/attacks/'],
  ['src/report/'],
  ['src/eval/'],
  ['src/train/'],
  ['src/sweep/'],
  ['src/analysis/'],
  ['src/queue/'],
  ['codegen/ts/'],
  ['src/cli/', 'src/index.ts'],
];

/** Rank of the stage a file belongs to. */
function rankOf(file: string): number | undefined {
  const k = STAGES.findIndex((stage) => stage.some((prefix) => file.startsWith(prefix)));
  return k < 0 ? undefined : k;
}

const graph = importGraph(process.cwd(), ['src', 'codegen', 'grammar']);

describe('import structure of src/ and codegen/', () => {
  test('reads the tree', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('src/ir/graph.ts')).toBeDefined();
  });

  test('no import cycles', () => {
    expect(importCycles(graph).map((c) => `cycle among ${c.join(', ')}`)).toEqual([]);
  });

  test('every file belongs to a stage', () => {
    expect([...graph.keys()].filter((f) => rankOf(f) === undefined)).toEqual([]);
  });

  test('no stage imports a later one', () => {
    const violations: string[] = [];
    for (const [file, edges] of graph) {
      const rank = rankOf(file);
      if (rank === undefined) continue;
      for (const { to } of edges) {
        const target = rankOf(to);
        if (target === undefined || target > rank) violations.push(`${file} imports ${to}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
