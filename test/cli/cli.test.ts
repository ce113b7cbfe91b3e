/**
 * The command line as a user meets it: exit codes, messages with file:line:col, no stack traces,
 * every standard pipeline checks, and a golden listing of `matc graph`.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readdirSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

function matFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? matFiles(p) : p.endsWith('.mat') ? [p] : [];
  });
}

describe('matc CLI', () => {
  it('checks every file in pipelines/ without errors', async () => {
    const files = matFiles('pipelines');
    expect(files.length).toBeGreaterThanOrEqual(15);
    const r = await cli('check', ...files);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('reports a bad pipeline with file:line:col, a caret, a hint, exit 1 and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'matc-cli-'));
    const file = join(dir, 'bad.mat');
    writeFileSync(file, `import "models/small_cnn.mat"
pipeline bad {
  data fashion_mnist { subset: first(100) }
  model f = small_cnn(classes: 10)
  minimize trades(f(x), y)
}
`);
    for (const cmd of ['check', 'run', 'graph']) {
      const r = await cli(cmd, file);
      expect(r.code, cmd).toBe(1);
      expect(r.err).toContain(`${file}:5:12: error:`);
      expect(r.err).toMatch(/\^+/);
      expect(r.err).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
    }
  });

  it('rejects unknown commands, options, settings and missing files with exit 1', async () => {
    expect((await cli('trian')).code).toBe(1);
    const opt = await cli('check', '--frobnicate', 'pipelines/trades.mat');
    expect(opt.code).toBe(1);
    expect(opt.err).toContain("unknown option '--frobnicate'");
    const set = await cli('check', 'pipelines/quickstart/trades.mat', '--set', 'train.epohcs=3');
    expect(set.code).toBe(1);
    expect(set.err).toMatch(/epohcs/);
    expect(set.err).toMatch(/epochs/); // the suggestion
    const missing = await cli('run', 'no/such/file.mat');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no/such/file.mat: no such file');
  });

  it('prints help for every command', async () => {
    for (const cmd of ['run', 'check', 'graph', 'doctor', 'codegen', 'report']) {
      const r = await cli(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`usage: matc ${cmd}`);
    }
  });

  it('matc graph prints the compiled step of a small pipeline (golden)', async () => {
    const r = await cli('graph', 'test/cli/fixtures/tiny.mat', '--batch', '4');
    expect(r.code).toBe(0);
    // Regenerate after an intended change with UPDATE_GOLDEN=1, and review the diff.
    if (process.env['UPDATE_GOLDEN']) writeFileSync('test/cli/fixtures/tiny.graph.txt', r.out);
    expect(r.out).toBe(readFileSync('test/cli/fixtures/tiny.graph.txt', 'utf8'));
  });
});
