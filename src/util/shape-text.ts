/** A shape as people read it in messages: `[4, 3, 32, 32]`; the one printer of the checker, layers, graph and checkpoints. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
