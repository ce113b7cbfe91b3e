/**
 * Shape inference through a resolved layer tree: from a per-example input shape, record every
 * layer's input and output shape and every forward step's shape; report mismatches where the
 * layer is written, with a hint naming the layer and the model instance.
 */
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { forwardArithmetic, layerKinds } from '../layers/index.js';
import type { ResolvedLayer, Shape } from './resolved.js';
import { shapeText } from '../util/shape-text.js';

/**
 * Infer and record the shapes through `layer`; undefined after a (reported) mismatch.
 * `where` describes the instance for hints, e.g. "model `f` (input shape [1, 28, 28] from mnist)".
 */
export function inferShapes(layer: ResolvedLayer, input: Shape, where: string, diagnostics: Diagnostic[]): Shape | undefined {
  layer.inputShape = input;
  let output: Shape | undefined;
  if (layer.kind === 'sequential' || layer.kind === 'block') {
    output = inferGraph(layer, input, where, diagnostics);
  } else {
    const result = layerKinds[layer.kind].outputShape(layer.hyper, input);
    if (typeof result === 'string') {
      diagnostics.push(diagnostic('layerShape', layer.span, { message: result }, `in layer \`${layer.path || layer.kind}\` of ${where}`));
      return undefined;
    }
    output = result;
  }
  if (output) layer.outputShape = output;
  return output;
}

function inferGraph(layer: ResolvedLayer, input: Shape, where: string, diagnostics: Diagnostic[]): Shape | undefined {
  const graph = layer.forward!;
  const shapes: Shape[] = [];
  for (const step of graph.steps) {
    let shape: Shape | undefined;
    switch (step.op) {
      case 'input':
        shape = input;
        break;
      case 'child': {
        const child = layer.children.find((ch) => ch.name === step.child)!;
        shape = inferShapes(child, shapes[step.input]!, where, diagnostics);
        break;
      }
      case 'scale':
        shape = shapes[step.input];
        break;
      case 'add':
      case 'sub':
      case 'mul': {
        const [a, b] = step.inputs.map((i) => shapes[i]!) as [Shape, Shape];
        const verb = forwardArithmetic[step.op].verb;
        if (shapeText(a) === shapeText(b)) shape = a;
        else diagnostics.push(diagnostic('forwardShapes', step.span, { verb, left: shapeText(a), right: shapeText(b) }, `in \`${layer.definition ?? layer.path}\` of ${where}`));
        break;
      }
      default: {
        // A layer kind called as a function: its table entry's shape rule.
        const result = layerKinds[step.op].outputShape(step.hyper, shapes[step.input]!);
        if (typeof result === 'string') diagnostics.push(diagnostic('layerShape', step.span, { message: result }, `in ${where}`));
        else shape = result;
        break;
      }
    }
    if (!shape) return undefined;
    step.shape = shape;
    shapes.push(shape);
  }
  return shapes[graph.output];
}
