import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { checkFile } from '../../src/check/index.js';
import { emitPipelineModule } from '../../codegen/ts/emit-pipeline.js';

function typecheck(files: Record<string, string>, dir: string): string[] {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const program = ts.createProgram(Object.keys(files).map((f) => join(dir, f)), {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ['node', '@webgpu/types'],
    typeRoots: [resolve('node_modules/@types'), resolve('node_modules')],
  });
  // Only the generated and the using module are under test here; the project type-checks on its own.
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName.startsWith(dir))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('matc codegen', () => {
  it('emits a typed module that the TypeScript compiler accepts, and rejects misuse', () => {
    const r = checkFile('pipelines/quickstart/trades.mat');
    expect(r.pipeline).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'matc-codegen-'));
    const matc = resolve('src/index.js').replace(/\.js$/, '.js');
    const code = emitPipelineModule(r.pipeline!, { outFile: join(dir, 'pipeline.ts'), matcModule: matc });
    expect(code).toContain('export interface Settings');
    expect(code).toContain('export function run(');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const good = `import { run, defaults, toOverrides } from './pipeline.js';
const epochs: number = defaults.train.epochs;
const h = run({ settings: { train: { epochs: epochs + 1, batch: 64 } }, outDir: '/tmp/x' });
void h.result;
export const o: string[] = toOverrides({ train: { epochs: 2 } });`;
    expect(typecheck({ 'pipeline.ts': code, 'use.ts': good }, dir)).toEqual([]);
    const bad = `import { run } from './pipeline.js';
run({ settings: { train: { epochs: 'many' } } });`;
    const errors = typecheck({ 'pipeline.ts': code, 'use.ts': bad }, dir);
    expect(errors.join('\n')).toMatch(/not assignable to type 'number'/);
  });
});
