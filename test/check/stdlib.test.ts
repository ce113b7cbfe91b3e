import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkFile, formatDiagnostics } from '../../src/check/index.js';

function matFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? matFiles(path) : path.endsWith('.mat') ? [path] : [];
  });
}

describe('standard library', () => {
  const files = matFiles('pipelines').map((p) => relative(process.cwd(), p));
  test('has the expected files', () => {
    expect(files.length).toBeGreaterThanOrEqual(18);
  });
  test.each(files)('%s checks without errors', (file) => {
    const result = checkFile(file);
    expect(formatDiagnostics(result.diagnostics, result.sources)).toBe('');
    if (!file.includes('models')) expect(result.pipeline).toBeDefined();
  });
});
