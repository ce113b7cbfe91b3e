/**
 * matc loads Chevrotain's one-file bundle (grammar/chevrotain.ts says why: 0.6 s of start-up
 * otherwise), and nothing else loads the library at run time: a second copy's tokens would not
 * match the first copy's parser.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CHEVROTAIN_URL } from '../../grammar/chevrotain.js';
import { VERSION } from 'chevrotain';
import { parseSource } from '../../src/syntax/parse.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

describe("Chevrotain's runtime", () => {
  it('comes from the bundle of the installed release', async () => {
    expect(CHEVROTAIN_URL).toMatch(/\/chevrotain\/lib\/chevrotain\.mjs$/);
    const bundle = (await import(CHEVROTAIN_URL)) as { VERSION: string };
    expect(bundle.VERSION).toBe(VERSION);
  });

  it('is imported at run time only by grammar/chevrotain.ts (everything else imports types)', () => {
    const offenders: string[] = [];
    for (const dir of ['src', 'grammar', 'codegen', 'scripts', 'bench']) {
      for (const file of tsFiles(dir)) {
        if (file === join('grammar', 'chevrotain.ts')) continue;
        const source = readFileSync(file, 'utf8');
        for (const m of source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'chevrotain';/gms)) if (!m[1]) offenders.push(`${file}: ${m[0].split('\n')[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('lexes and parses through it: a shipped pipeline cleanly, a broken one with a positioned error', () => {
    const text = readFileSync('pipelines/quickstart/pgd_at_te.mat', 'utf8');
    expect(parseSource(text, 'pgd_at_te.mat').diagnostics).toEqual([]);
    const broken = parseSource(text.replace('maximize', 'maximize )'), 'broken.mat').diagnostics;
    expect(broken.length).toBeGreaterThan(0);
    expect(broken[0]!.span.file).toBe('broken.mat');
  });
});
