/**
 * Writes the generated grammar reference (EBNF + syntax diagrams) to docs/grammar.html, or to the
 * path given as the first argument. Build first (`npm run build`), then
 * `node dist/scripts/gen-grammar.js`.
 */
import { generateGrammarReference } from '../grammar/reference.js';

const out = process.argv[2] ?? 'docs/grammar.html';
const { ruleNames } = generateGrammarReference({ outFile: out });
console.log(`wrote ${out} (${ruleNames.length} rules)`);
