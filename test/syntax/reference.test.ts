import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { generateGrammarReference } from '../../grammar/reference.js';
import { matParser } from '../../grammar/parser.js';

test('the generated grammar reference mentions every rule of the parser', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'matc-grammar-')), 'grammar.html');
  const reference = generateGrammarReference({ outFile: out });
  const rules = Object.keys(matParser.getGAstProductions());
  expect(rules.length).toBeGreaterThan(30);
  expect(reference.ruleNames.sort()).toEqual([...rules].sort());
  const html = readFileSync(out, 'utf8');
  for (const rule of rules) {
    expect(reference.ebnf).toMatch(new RegExp(`^${rule}\\s+=`, 'm'));
    expect(html).toContain(rule);
  }
  expect(reference.ebnf).toContain("attackDeclaration");
  expect(reference.ebnf).toMatch(/attackDeclaration\s+= `attack` identifier '=' expression '\{' `maximize` expression '\}' ;/);
});
