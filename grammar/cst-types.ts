/**
 * The TypeScript types of the parser's CST, generated from the grammar with Chevrotain's
 * `generateCstDts`, so src/syntax/build-ast.ts reads `node.children.expression` with the compiler
 * checking every rule and token name against the grammar.
 *
 * The output is committed as grammar/cst.d.ts, against the rule of not committing generated files,
 * because the types must exist before the build that compiles the parser which generates them (Node
 * 20 cannot run the TypeScript parser unbuilt, so build-time generation would need a two-pass
 * build). test/syntax/cst-types.test.ts regenerates it and fails when it differs; refresh it with
 * `npm run build && node dist/scripts/gen-cst-types.js`.
 */
import { generateCstDts } from './chevrotain.js';
import { matParser } from './parser.js';

const HEADER = `// Generated from grammar/parser.ts by grammar/cst-types.ts (scripts/gen-cst-types.ts). Do not edit.
// Every child is optional: with error recovery a node may lack even the parts its rule requires.
`;

export function cstTypesSource(): string {
  const generated = generateCstDts(matParser.getGAstProductions(), { includeVisitorInterface: false });
  // Chevrotain marks children that every successful parse has as required; after recovery they may
  // be missing, so the builder must handle their absence and the types say so.
  let inChildren = false;
  const lines = generated.split('\n').map((line) => {
    if (/CstChildren = \{$/.test(line)) inChildren = true;
    else if (line === '};') inChildren = false;
    else if (inChildren) return line.replace(/^(\s+\w+): /, '$1?: ');
    return line;
  });
  return HEADER + lines.join('\n');
}
