/**
 * Static memory plan: every materialised value of a program gets a slot; slots whose values
 * are dead are reused by later values of a similar size (best fit, at most 2x waste; failing
 * that, the largest dead slot grows to fit), so a training step allocates all its memory
 * once, at compile time, and nothing per step.
 *
 * A value is dead after the last step that reads it (reshape aliases extend the life of the
 * buffer they share). Fetched values live to the end of the program so they can be read back.
 * A step's output never shares a slot with one of its own inputs, because the output is
 * allocated before that step's dead inputs are released.
 */
import type { Graph } from '../ir/graph.js';
import { sizeOf } from '../ir/shape.js';
import { stepOutput, stepReads, type Schedule } from './schedule.js';

export interface Slot {
  id: number;
  bytes: number;
}

export interface BufferPlan {
  /** node id -> slot id, for every value produced by a step. */
  slotOf: Map<number, number>;
  slots: Slot[];
  /** Bytes of all slots (the plan's peak transient memory). */
  totalBytes: number;
}

export function bytesOf(graph: Graph, id: number): number {
  return Math.max(16, Math.ceil((sizeOf(graph.node(id).shape) * 4) / 16) * 16);
}

export function planBuffers(graph: Graph, sched: Schedule, fetch: number[], opts: { reuse?: boolean } = {}): BufferPlan {
  const reuse = opts.reuse ?? true;
  const base = (id: number) => sched.aliases.get(id) ?? id;

  // Reads of each (base) value per step index; kernels read their inputs (and epilogue operands), elementwise groups their externals.
  const lastUse = new Map<number, number>();
  sched.steps.forEach((step, k) => {
    for (const r of stepReads(graph, step)) lastUse.set(base(r), k);
  });
  const forever = sched.steps.length;
  for (const f of fetch) lastUse.set(base(f), forever);
  for (const u of graph.updates) lastUse.set(base(u.value), forever);

  const slots: Slot[] = [];
  const free: Slot[] = [];
  const slotOf = new Map<number, number>();
  const releaseAt = new Map<number, number[]>(); // step index -> slot ids to free after it

  const take = (bytes: number): Slot => {
    if (reuse) {
      let best = -1;
      for (let i = 0; i < free.length; i++) {
        const s = free[i]!;
        if (s.bytes >= bytes && s.bytes <= 2 * bytes && (best < 0 || s.bytes < free[best]!.bytes)) best = i;
      }
      if (best >= 0) return free.splice(best, 1)[0]!;
      // No free slot fits: grow the largest smaller one instead of adding a slot (buffers are
      // created after planning, so its earlier values just get a bigger buffer). Without this,
      // long-lived values (a fused conv+relu output kept for the backward's mask) leave only
      // small free slots and every large gradient would take a new one.
      let largest = -1;
      for (let i = 0; i < free.length; i++) if (free[i]!.bytes < bytes && (largest < 0 || free[i]!.bytes > free[largest]!.bytes)) largest = i;
      if (largest >= 0) {
        const slot = free.splice(largest, 1)[0]!;
        slot.bytes = bytes;
        return slot;
      }
    }
    const slot = { id: slots.length, bytes };
    slots.push(slot);
    return slot;
  };

  sched.steps.forEach((step, k) => {
    const out = stepOutput(step);
    const slot = take(bytesOf(graph, out));
    slotOf.set(out, slot.id);
    const end = lastUse.get(out) ?? k; // a value nobody reads dies at once
    if (end < forever) {
      const list = releaseAt.get(end) ?? [];
      list.push(slot.id);
      releaseAt.set(end, list);
    }
    for (const sid of releaseAt.get(k) ?? []) free.push(slots[sid]!);
  });

  return { slotOf, slots, totalBytes: slots.reduce((a, s) => a + s.bytes, 0) };
}
