/** The op table and the op families' builder helpers. */
export { OPS, allOps, getOp, isOpName } from './registry.js';
