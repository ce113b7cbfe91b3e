/**
 * The grammar reference, generated from the parser so it can never drift from it:
 * - an EBNF text derived from the serialized grammar (`getSerializedGastProductions`), and
 * - Chevrotain's railroad syntax diagrams (`createSyntaxDiagramsCode`) as one HTML page.
 *
 * `generateGrammarReference()` returns both; run `node dist/grammar/reference.js [out.html]`
 * (or scripts/gen-grammar.ts) to write docs/grammar.html. The output is generated, not committed.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ISerializedGast } from 'chevrotain';
import { createSyntaxDiagramsCode } from './chevrotain.js';
import { matParser } from './parser.js';

interface GastNode extends ISerializedGast {
  name?: string;
  label?: string;
  pattern?: string;
  separator?: GastNode;
}

function terminal(node: GastNode): string {
  return node.label ?? node.name ?? '?';
}

/** One production in EBNF: `|` alternatives, `[ ]` options, `{ }` repetition, `{ }-` one or more. */
function ebnf(node: GastNode): string {
  const seq = (nodes: GastNode[] | undefined): string => (nodes ?? []).map(ebnf).filter((s) => s.length > 0).join(' ');
  switch (node.type) {
    case 'NonTerminal':
      return node.name ?? '?';
    case 'Terminal':
      return terminal(node);
    case 'Alternation':
      return `( ${(node.definition ?? []).map((alt) => seq((alt as GastNode).definition)).join(' | ')} )`;
    case 'Alternative':
      return seq(node.definition);
    case 'Option':
      return `[ ${seq(node.definition)} ]`;
    case 'Repetition':
      return `{ ${seq(node.definition)} }`;
    case 'RepetitionMandatory':
      return `${seq(node.definition)} { ${seq(node.definition)} }`;
    case 'RepetitionWithSeparator':
      return `[ ${seq(node.definition)} { ${terminal(node.separator!)} ${seq(node.definition)} } ]`;
    case 'RepetitionMandatoryWithSeparator':
      return `${seq(node.definition)} { ${terminal(node.separator!)} ${seq(node.definition)} }`;
    default:
      return seq(node.definition);
  }
}

export interface GrammarReference {
  /** `rule = ... ;` lines, one per rule, in grammar order. */
  ebnf: string;
  /** A self-contained page of railroad diagrams (loads Chevrotain's diagram renderer). */
  html: string;
  ruleNames: string[];
}

export function generateGrammarReference(options: { outFile?: string } = {}): GrammarReference {
  const productions = matParser.getSerializedGastProductions() as GastNode[];
  const ruleNames = productions.map((p) => p.name ?? '?');
  const width = Math.max(...ruleNames.map((n) => n.length));
  const ebnfText = productions.map((rule) => `${(rule.name ?? '').padEnd(width)} = ${(rule.definition ?? []).map(ebnf).join(' ')} ;`).join('\n');
  const diagrams = createSyntaxDiagramsCode(productions);
  const ebnfBlock = `<h2>EBNF</h2>\n<pre id="ebnf">${escapeHtml(ebnfText)}</pre>\n`;
  const header = '<h1>.mat grammar reference</h1>\n<p>Generated from grammar/parser.ts by grammar/reference.ts. Do not edit.</p>\n';
  const html = diagrams.replace('<body>', `<body>\n${header}${ebnfBlock}<h2>Syntax diagrams</h2>`);
  if (options.outFile) {
    mkdirSync(dirname(options.outFile), { recursive: true });
    writeFileSync(options.outFile, html);
  }
  return { ebnf: ebnfText, html, ruleNames };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// `node dist/grammar/reference.js [out]` writes the page.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? 'docs/grammar.html';
  generateGrammarReference({ outFile: out });
  console.log(`wrote ${out}`);
}
