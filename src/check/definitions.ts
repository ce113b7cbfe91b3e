/**
 * Registering what every loaded file defines: its `let` constants (one scope per file) and its
 * `model`/`block` definitions (one registry for the program; a name defined twice is an error).
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { ConstScope, evaluateConstant } from './const-eval.js';
import type { Program } from './imports.js';
import type { DefinitionEntry } from './models.js';

export interface ProgramDefinitions {
  registry: Map<string, DefinitionEntry>;
  /** Constants of each file, by absolute path. */
  fileScopes: Map<string, ConstScope>;
}

/** Register every file's `let`s and module definitions; report duplicates. */
export function collectDefinitions(program: Program, diagnostics: Diagnostic[]): ProgramDefinitions {
  const registry = new Map<string, DefinitionEntry>();
  const fileScopes = new Map<string, ConstScope>();
  for (const file of program.files) {
    const scope = new ConstScope();
    fileScopes.set(file.path, scope);
    const seenLets = new Map<string, Span>();
    for (const item of file.ast.items) {
      if (item.kind === 'LetDeclaration') {
        const previous = seenLets.get(item.name.text);
        if (previous) {
          diagnostics.push(duplicate(item.name, previous));
          continue;
        }
        seenLets.set(item.name.text, item.name.span);
        const value = evaluateConstant(item.value, scope, diagnostics);
        if (value !== undefined) scope.set(item.name.text, value);
      } else if (item.kind === 'ModuleDefinition') {
        const previous = registry.get(item.name.text);
        if (previous) {
          diagnostics.push(duplicate(item.name, previous.definition.name.span));
          continue;
        }
        registry.set(item.name.text, { definition: item, scope });
      }
    }
  }
  return { registry, fileScopes };
}

export function duplicate(name: A.Name, previous: Span): Diagnostic {
  const where = previous.file === name.span.file ? `line ${previous.line}` : `${previous.file}:${previous.line}`;
  return diagnostic('alreadyDefined', name.span, { name: name.text }, `the first definition is at ${where}`);
}
