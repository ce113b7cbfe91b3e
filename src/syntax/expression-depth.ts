/**
 * Bounding the depth of expression trees. Operator chains such as `1 + 1 + ... + 1` parse without
 * recursion but build a left-deep tree; the checker, the printer and the compiler walk trees
 * recursively, so a tree deeper than MAX_EXPRESSION_DEPTH is cut here (iteratively), with one
 * located diagnostic, before any of them sees it.
 */
import type * as A from './ast.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import { MAX_EXPRESSION_DEPTH } from '../../grammar/limits.js';

const expressionKinds: ReadonlySet<string> = new Set<A.Expr['kind']>([
  'NumberLiteral', 'StringLiteral', 'BooleanLiteral', 'NoneLiteral', 'EpochExpr', 'Identifier', 'UnaryExpr',
  'BinaryExpr', 'CallExpr', 'MemberExpr', 'ListExpr', 'MapExpr', 'ConditionalExpr', 'SequentialExpr',
]);

type AnyNode = A.Node & { kind: string };
const isNode = (value: unknown): value is AnyNode => typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';

/**
 * Replace every expression nested deeper than `limit` by a `<missing>` identifier, in place.
 * Returns one diagnostic at the first cut (the file then has an error, so it is never checked).
 */
export function cutDeepExpressions(file: A.SourceFile, limit = MAX_EXPRESSION_DEPTH): Diagnostic | undefined {
  let first: Diagnostic | undefined;
  const pending: { node: AnyNode; depth: number }[] = [{ node: file, depth: 0 }];
  /** Visit `child` (held at `holder[key]`) below a node at `depth`; cut it if it is too deep. */
  const visit = (holder: Record<string | number, unknown>, key: string | number, child: AnyNode, depth: number): void => {
    const isExpression = expressionKinds.has(child.kind);
    const childDepth = depth + (isExpression ? 1 : 0);
    if (isExpression && childDepth > limit) {
      first ??= diagnostic('expressionTooDeep', child.span, { limit }, 'split it into several `let` constants');
      holder[key] = { kind: 'Identifier', name: '<missing>', span: child.span } satisfies A.Identifier;
      return;
    }
    pending.push({ node: child, depth: childDepth });
  };
  for (let item = pending.pop(); item; item = pending.pop()) {
    const node = item.node as unknown as Record<string, unknown>;
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (Array.isArray(value)) {
        value.forEach((element, index) => {
          if (isNode(element)) visit(value as unknown as Record<number, unknown>, index, element, item!.depth);
        });
      } else if (isNode(value)) {
        visit(node, key, value, item.depth);
      }
    }
  }
  return first;
}
