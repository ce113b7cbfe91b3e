/**
 * Chevrotain's runtime, loaded from the one-file bundle its package ships (lib/chevrotain.mjs)
 * instead of its ES-module tree: the tree (the package's `exports` entry) imports ~650 lodash-es
 * files, which took 0.55-0.6 s of every matc start-up and of every test file that parses; the
 * bundle of the same release (the same VERSION) loads in about 40 ms. Types still come from
 * 'chevrotain' itself. Every runtime use of Chevrotain in matc goes through this module: tokens
 * made by one copy of the library are not recognised by another copy's lexer or parser.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Chevrotain from 'chevrotain';

/** The bundle beside the package's entry (lib/src/api.js -> lib/chevrotain.mjs), or the entry itself. */
function chevrotainUrl(): string {
  const entry = createRequire(import.meta.url).resolve('chevrotain');
  const bundle = join(dirname(entry), '..', 'chevrotain.mjs');
  return pathToFileURL(existsSync(bundle) ? bundle : entry).href;
}

/** Where Chevrotain's runtime was loaded from (a test checks it is the bundle). */
export const CHEVROTAIN_URL = chevrotainUrl();

const chevrotain = (await import(CHEVROTAIN_URL)) as typeof Chevrotain;

export const { CstParser, EOF, Lexer, createToken, createSyntaxDiagramsCode, generateCstDts } = chevrotain;
