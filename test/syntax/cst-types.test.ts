/**
 * grammar/cst.d.ts is generated from the parser (grammar/cst-types.ts says why it is committed):
 * this test regenerates it and fails when the grammar has changed without it.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { cstTypesSource } from '../../grammar/cst-types.js';

describe('grammar/cst.d.ts', () => {
  it('matches the parser (refresh: npm run build && node dist/scripts/gen-cst-types.js)', () => {
    expect(readFileSync('grammar/cst.d.ts', 'utf8')).toBe(cstTypesSource());
  });
});
