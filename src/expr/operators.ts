/**
 * What the operators of the language mean on numbers, once for every evaluator: constant folding
 * of `let`s and layer arguments (src/check/const-eval.ts, on the syntax tree), folding while typing
 * (src/check/expressions.ts), the objective lowering (numbers folded on the host) and schedules.
 */
export type ArithmeticOp = 'add' | 'sub' | 'mul' | 'div' | 'pow';
export type ComparisonOp = '==' | '!=' | '<' | '>' | '<=' | '>=';
export type LogicalOp = 'and' | 'or';

/** The typed tree's names for the arithmetic operators as written. */
export const arithmeticOpOf = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '^': 'pow' } as const satisfies Record<string, ArithmeticOp>;

export function arithmetic(op: ArithmeticOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'pow': return a ** b;
  }
}

export function compare(op: ComparisonOp, a: number, b: number): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '>': return a > b;
    case '<=': return a <= b;
    case '>=': return a >= b;
  }
}

export function logical(op: LogicalOp, a: boolean, b: boolean): boolean {
  return op === 'and' ? a && b : a || b;
}
