/**
 * The parser never throws: damaged inputs (characters deleted, duplicated or swapped) always come
 * back as an AST plus diagnostics with valid positions.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { mix32 } from '../../src/util/random.js';
import { parseSource } from '../../src/syntax/parse.js';
import { checkSource } from '../../src/check/index.js';

const source = readFileSync('pipelines/trades_te.mat', 'utf8') + readFileSync('pipelines/models/resnet18.mat', 'utf8');

function damage(text: string, seed: number): string {
  let out = text;
  for (let i = 0; i < 3; i++) {
    const at = mix32(seed * 7 + i) % out.length;
    const kind = mix32(seed * 13 + i) % 3;
    out = kind === 0 ? out.slice(0, at) + out.slice(at + 1) : kind === 1 ? out.slice(0, at) + out[at] + out.slice(at) : out.slice(0, at) + (out[at + 1] ?? '') + out[at] + out.slice(at + 2);
  }
  return out;
}

describe('damaged input', () => {
  test('200 damaged variants parse and check without throwing; positions lie inside the text', () => {
    let withErrors = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const text = damage(source, seed);
      const lines = text.split('\n').length;
      const { diagnostics } = parseSource(text, 'damaged.mat');
      for (const d of diagnostics) {
        expect(d.span.line).toBeGreaterThanOrEqual(1);
        expect(d.span.line).toBeLessThanOrEqual(lines);
        expect(d.span.col).toBeGreaterThanOrEqual(1);
      }
      const checked = checkSource(text, 'pipelines/damaged.mat');
      if (checked.diagnostics.length > 0) withErrors++;
    }
    expect(withErrors).toBeGreaterThan(100);
  });
});
