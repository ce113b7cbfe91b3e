/**
 * Binding call arguments to parameters: positional first, then named, then defaults. Shared by
 * layer kinds, module definitions and the functions of objectives, so every call site reports the
 * same messages for missing, unknown, duplicate and surplus arguments.
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { didYouMean } from './suggest.js';

export interface ParameterSlot {
  name: string;
  required: boolean;
}

/** The argument expression for each parameter name that received one (defaults are the caller's job). */
export function bindArguments(
  callee: string,
  slots: readonly ParameterSlot[],
  args: readonly A.Argument[],
  callSpan: Span,
  diagnostics: Diagnostic[],
): Map<string, A.Argument> | undefined {
  const bound = new Map<string, A.Argument>();
  let ok = true;
  let positional = 0;
  for (const arg of args) {
    if (!arg.name) {
      const slot = slots[positional++];
      if (!slot) {
        diagnostics.push(diagnostic('tooManyArguments', arg.span, { callee, max: slots.length, arguments: slots.length === 1 ? 'argument' : 'arguments', count: args.filter((a) => !a.name).length }));
        ok = false;
        continue;
      }
      bound.set(slot.name, arg);
      continue;
    }
    const name = arg.name.text;
    if (!slots.some((s) => s.name === name)) {
      diagnostics.push(diagnostic('noSuchArgument', arg.name.span, { callee, name }, didYouMean(name, slots.map((s) => s.name)) ?? `its arguments are ${slots.map((s) => `\`${s.name}\``).join(', ') || 'none'}`));
      ok = false;
      continue;
    }
    if (bound.has(name)) {
      diagnostics.push(diagnostic('argumentTwice', arg.span, { name, callee }));
      ok = false;
      continue;
    }
    bound.set(name, arg);
  }
  for (const slot of slots) {
    if (slot.required && !bound.has(slot.name)) {
      diagnostics.push(diagnostic('missingArgument', callSpan, { callee, name: slot.name }));
      ok = false;
    }
  }
  return ok ? bound : undefined;
}
