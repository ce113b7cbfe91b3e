/**
 * Waiting on Dawn without spinning a core.
 *
 * dawn-node resolves its promises (mapAsync, onSubmittedWorkDone, createComputePipelineAsync) by
 * polling: while any is pending it re-arms `globalThis.setImmediate` with a call to
 * ProcessEvents, so the main thread runs at 100% for as long as the GPU works. On lavapipe the
 * "GPU" is the same two cores (its queue thread JIT-compiles every new kernel, then runs it), so
 * the poll halves the speed of the work it waits for (seen with gdb and top: the main thread in
 * RunAndClearNativeImmediates at 100%, the lavapipe thread in LLVM at 50-80%).
 *
 * dawn-node looks `setImmediate` up on the global object at every tick, so while matc waits we
 * install a polite one: the first ticks of a wait stay immediate (short waits keep their latency),
 * later ones go through a 1 ms timer. Other code that calls setImmediate meanwhile only sees its
 * callback a millisecond later, which setImmediate never promised against. Waits nest and
 * overlap (Promise.all over pipelines); the original is restored when the last one ends.
 */

type Immediate = typeof globalThis.setImmediate;

/** Ticks of a wait that run at full speed before polling backs off to the timer. */
const FAST_TICKS = 64;

let waiting = 0;
let original: Immediate | undefined;
let ticks = 0;

function politeImmediate(this: unknown, callback: (...args: unknown[]) => void, ...args: unknown[]): NodeJS.Immediate | NodeJS.Timeout {
  const real = original ?? globalThis.setImmediate;
  if (ticks++ < FAST_TICKS) return real(callback, ...args);
  return setTimeout(callback, 1, ...args);
}

function enter(): void {
  if (waiting++ === 0) {
    original = globalThis.setImmediate;
    ticks = 0;
    globalThis.setImmediate = politeImmediate as unknown as Immediate;
  }
}

function leave(): void {
  if (--waiting === 0 && original) {
    globalThis.setImmediate = original;
    original = undefined;
  }
}

/** Await a Dawn promise with the main thread mostly asleep. */
export async function gpuWait<T>(pending: Promise<T>): Promise<T> {
  enter();
  try {
    return await pending;
  } finally {
    leave();
  }
}

/** For tests: whether a polite setImmediate is installed now. */
export function gpuWaitActive(): boolean {
  return waiting > 0;
}
