/**
 * The import direction among the compiler's core (docs/architecture.md, "Layers"):
 *
 *   src/util  <  src/ir (the IR)  <  codegen/wgsl  <  src/ops  <  src/runtime
 *
 * A file may import its own layer and the layers to its left, never one to its right nor
 * anything outside these five (the rest of src/ sits above them all). The IR defines what an
 * op is and the op vocabulary; src/ops implements the ops with codegen/wgsl's kernel templates;
 * the graph, autodiff, the templates and the executors reach an op's rules through the table
 * a Graph is built with, so none of them imports an op. And no file of src/ or codegen/ may
 * take part in an import cycle.
 */
import { describe, expect, test } from 'vitest';
import { importCycles, importGraph } from './import-graph.js';

const LAYERS = ['src/util/', 'src/ir/', 'codegen/wgsl/', 'src/ops/', 'src/runtime/'] as const;

/** Rank of the layer a file belongs to, or undefined outside the layered core. */
function rankOf(file: string): number | undefined {
  const k = LAYERS.findIndex((prefix) => file.startsWith(prefix));
  return k < 0 ? undefined : k;
}

const graph = importGraph(process.cwd(), ['src', 'codegen']);

describe('import structure of src/ and codegen/', () => {
  test('reads the tree', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('src/ir/graph.ts')).toBeDefined();
  });

  test('no import cycles', () => {
    expect(importCycles(graph).map((c) => `cycle among ${c.join(', ')}`)).toEqual([]);
  });

  test('no layer imports a higher one', () => {
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
