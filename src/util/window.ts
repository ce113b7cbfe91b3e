/**
 * The output extent of a window (convolution or pooling) swept over one axis: PyTorch's floor rule
 * floor((size + 2 * padding - kernel) / stride) + 1. It lives here, outside src/ops and src/layers,
 * because both need it (the graph ops to size their outputs, the layer table's shape rules to check
 * a model before any graph exists) and it depends on nothing.
 */
export function outputExtent(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}
