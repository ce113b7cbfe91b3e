/**
 * Loading a program: the entry file and everything it imports, transitively. An import resolves
 * relative to the importing file first, then relative to the standard library (the pipelines/
 * folder of the installed matc package). Cycles are reported with the whole chain.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceFile } from '../syntax/ast.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { parseSource } from '../syntax/parse.js';
import type { Span } from '../syntax/span.js';
import { checkSourceName, checkSourceSize, readSourceFile, SourceRefused } from './source-files.js';

/** Where files come from; tests substitute in-memory files. */
export interface FileHost {
  /**
   * The text of an absolute path, undefined if there is no such file, or why it may not be read
   * (not a regular `.mat` file, too large: see source-files.ts).
   */
  read(path: string): string | undefined | SourceRefused;
  /** Absolute path of the standard library folder. */
  standardLibrary: string;
}

export interface LoadedFile {
  /** Absolute path (the identity of the file). */
  path: string;
  /** The name diagnostics show: the path relative to the working directory when that is shorter. */
  displayName: string;
  text: string;
  ast: SourceFile;
}

export interface Program {
  entry: LoadedFile;
  /** Every loaded file, in load order (imports before importers). */
  files: LoadedFile[];
  diagnostics: Diagnostic[];
  /** displayName -> text, for formatting diagnostics. */
  sources: Map<string, string>;
}

/** The pipelines/ folder of this package, found by walking up from this module to package.json. */
export function standardLibraryDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'pipelines'))) return join(dir, 'pipelines');
    dir = dirname(dir);
  }
  return resolve('pipelines');
}

export const diskHost = (): FileHost => ({ read: readSourceFile, standardLibrary: standardLibraryDir() });

/** The same limits for texts that do not come from the disk (in-memory files, editors). */
function refusalOf(path: string, text: string): SourceRefused | undefined {
  return checkSourceName(path) ?? checkSourceSize(Buffer.byteLength(text, 'utf8'));
}

function refused(path: string, why: SourceRefused, span: Span): Diagnostic {
  // The reason only: never any of the content, which may be any file on the machine.
  return diagnostic('fileRefused', span, { path, reason: why.reason });
}

function displayNameOf(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * Load `entryPath` (with `entryText` if given, otherwise read through the host) and its imports.
 * `entryDisplayName` overrides how the entry file is named in diagnostics.
 */
export function loadProgram(entryPath: string, host: FileHost, entryText?: string, entryDisplayName?: string): Program | { diagnostics: Diagnostic[] } {
  const absoluteEntry = resolve(entryPath);
  const entrySpan: Span = { file: entryPath, line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };
  const read = entryText ?? host.read(absoluteEntry);
  if (read === undefined) return { diagnostics: [diagnostic('fileNotFound', entrySpan, { path: entryPath })] };
  // Text handed in by the caller (checkSource) may have any name; it only has to fit the size limit.
  const entryRefusal = read instanceof SourceRefused ? read : entryText === undefined ? refusalOf(absoluteEntry, read) : checkSourceSize(Buffer.byteLength(read, 'utf8'));
  if (entryRefusal) return { diagnostics: [refused(entryPath, entryRefusal, entrySpan)] };
  const text = read as string;
  const diagnostics: Diagnostic[] = [];
  const files: LoadedFile[] = [];
  const byPath = new Map<string, LoadedFile>();
  const sources = new Map<string, string>();

  const parse = (path: string, source: string, displayName: string): LoadedFile => {
    const { ast, diagnostics: syntax } = parseSource(source, displayName);
    for (const d of syntax) diagnostics.push(d); // not push(...syntax): a million arguments overflow the stack
    sources.set(displayName, source);
    return { path, displayName, text: source, ast };
  };

  /** Depth-first with the current chain on a stack: a target already on it closes a cycle. */
  const visit = (file: LoadedFile, chain: LoadedFile[]): void => {
    byPath.set(file.path, file);
    for (const item of file.ast.items) {
      if (item.kind !== 'ImportDeclaration' || item.path === '') continue;
      const badName = checkSourceName(item.path);
      if (badName) {
        diagnostics.push(refused(item.path, badName, item.pathSpan));
        continue;
      }
      const candidates = [resolve(dirname(file.path), item.path), resolve(host.standardLibrary, item.path)];
      let target: string | undefined;
      let found: string | undefined | SourceRefused;
      for (const candidate of candidates) {
        found = byPath.get(candidate)?.text ?? host.read(candidate);
        if (typeof found === 'string') found = refusalOf(candidate, found) ?? found;
        if (found !== undefined) {
          target = candidate;
          break;
        }
      }
      if (found instanceof SourceRefused) {
        diagnostics.push(refused(item.path, found, item.pathSpan));
        continue;
      }
      const targetText = found;
      if (target === undefined || targetText === undefined) {
        diagnostics.push(diagnostic('importNotFound', item.pathSpan, { path: item.path }, `looked in ${candidates.map(displayNameOf).join(' and ')}`));
        continue;
      }
      const onChain = [...chain, file].findIndex((f) => f.path === target);
      if (onChain >= 0) {
        const cycle = [...chain, file].slice(onChain).map((f) => f.displayName);
        diagnostics.push(diagnostic('importCycle', item.pathSpan, { cycle: [...cycle, cycle[0]].join(' -> ') }, 'move the shared definitions into a file that both can import'));
        continue;
      }
      if (byPath.has(target)) continue;
      visit(parse(target, targetText, displayNameOf(target)), [...chain, file]);
    }
    files.push(file);
  };

  const entry = parse(absoluteEntry, text, entryDisplayName ?? entryPath);
  visit(entry, []);
  return { entry, files, diagnostics, sources };
}
