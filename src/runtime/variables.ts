/**
 * Persistent device buffers by name: parameters, optimizer state, BN statistics, per-example
 * state. Programs compiled on the same runtime bind the same buffers, so a training program
 * and an evaluation program see the same weights without copies.
 *
 * A variable's shape is fixed while it lives: `ensure` refuses another shape, which catches two
 * programs disagreeing about a name. To reuse one runtime for another model (an analysis over runs
 * of different architectures, whose state_dict names repeat with other shapes), drop variables
 * (`drop`, `clear`) or `redeclare` them. That frees their buffers, so programs compiled against
 * them are refused from then on (variable-guard.ts) instead of reading freed memory.
 */
import type { DType } from '../ir/graph.js';
import { sizeOf, formatShape, shapesEqual } from '../ir/shape.js';
import type { TypedArray } from '../ir/typed-array.js';
import { readBuffer } from './readback.js';

export interface Variable {
  name: string;
  shape: number[];
  dtype: DType;
  buffer: GPUBuffer;
}

export class VariableStore {
  private readonly vars = new Map<string, Variable>();
  /** Bumped whenever a variable is dropped or replaced, so programs re-check their bindings only then. */
  private dropped = 0;

  constructor(private readonly device: GPUDevice) {}

  /** Get or create (zero-filled) a variable. */
  ensure(name: string, shape: readonly number[], dtype: DType = 'f32'): Variable {
    const v = this.vars.get(name);
    if (v) {
      if (!shapesEqual(v.shape, shape) || v.dtype !== dtype) {
        throw new Error(`variable '${name}' is ${v.dtype}${formatShape(v.shape)}, asked for ${dtype}${formatShape(shape)}`);
      }
      return v;
    }
    const buffer = this.device.createBuffer({
      label: `var:${name}`,
      size: Math.max(16, Math.ceil((sizeOf(shape) * 4) / 16) * 16),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const created = { name, shape: [...shape], dtype, buffer };
    this.vars.set(name, created);
    return created;
  }

  /**
   * Get or create a variable of this shape and dtype; one of another shape or dtype is dropped
   * and created anew (zero-filled), which invalidates the programs compiled against the old one.
   */
  redeclare(name: string, shape: readonly number[], dtype: DType = 'f32'): Variable {
    const v = this.vars.get(name);
    if (v && (!shapesEqual(v.shape, shape) || v.dtype !== dtype)) this.drop(name);
    return this.ensure(name, shape, dtype);
  }

  /** Free a variable's buffer and forget it; false if there was none. */
  drop(name: string): boolean {
    const v = this.vars.get(name);
    if (!v) return false;
    // WebGPU defers freeing until submitted work that uses the buffer has finished.
    v.buffer.destroy();
    this.vars.delete(name);
    this.dropped++;
    return true;
  }

  /** Drop every variable (the runtime's pipelines stay cached). */
  clear(): void {
    for (const name of [...this.vars.keys()]) this.drop(name);
  }

  /** Whether `v` is still the live variable of its name (not dropped or replaced). */
  isCurrent(v: Variable): boolean {
    return this.vars.get(v.name) === v;
  }

  /** Changes whenever a variable is dropped or replaced. */
  get generation(): number {
    return this.dropped;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  get(name: string): Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no variable '${name}'`);
    return v;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Upload values (the variable must exist or `shape` be given). */
  write(name: string, data: TypedArray | number[], shape?: readonly number[], dtype?: DType): void {
    const v = shape ? this.ensure(name, shape, dtype ?? (data instanceof Int32Array ? 'i32' : data instanceof Uint32Array ? 'u32' : 'f32')) : this.get(name);
    const n = sizeOf(v.shape);
    if (data.length !== n) throw new Error(`variable '${name}': ${data.length} values for shape ${formatShape(v.shape)}`);
    const typed = Array.isArray(data) ? (v.dtype === 'f32' ? Float32Array.from(data) : v.dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data)) : data;
    this.device.queue.writeBuffer(v.buffer, 0, typed.buffer, typed.byteOffset, n * 4);
  }

  async read(name: string): Promise<TypedArray> {
    const v = this.get(name);
    return readBuffer(this.device, v.buffer, sizeOf(v.shape), v.dtype);
  }

  destroy(): void {
    this.clear();
  }
}
