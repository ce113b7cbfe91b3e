import { describe, expect, it } from 'vitest';
import { gpuWait, gpuWaitActive } from '../../src/runtime/gpu-wait.js';

// dawn-node polls pending promises by re-arming globalThis.setImmediate; gpuWait swaps in a
// polling-friendly one for the length of a wait. These tests hold the swap to its contract:
// installed only while a wait is pending, restored after overlapping waits and after failures,
// and callbacks still run (late, never lost).
describe('gpuWait', () => {
  it('installs a polite setImmediate only while a wait is pending', async () => {
    const original = globalThis.setImmediate;
    let release!: (v: number) => void;
    const pending = gpuWait(new Promise<number>((r) => (release = r)));
    expect(gpuWaitActive()).toBe(true);
    expect(globalThis.setImmediate).not.toBe(original);
    release(7);
    await expect(pending).resolves.toBe(7);
    expect(gpuWaitActive()).toBe(false);
    expect(globalThis.setImmediate).toBe(original);
  });

  it('restores the original after overlapping waits and a rejected one', async () => {
    const original = globalThis.setImmediate;
    let releaseA!: () => void;
    const a = gpuWait(new Promise<void>((r) => (releaseA = r)));
    const b = gpuWait(Promise.reject(new Error('device lost')));
    await expect(b).rejects.toThrow('device lost');
    expect(globalThis.setImmediate).not.toBe(original); // a is still waiting
    releaseA();
    await a;
    expect(globalThis.setImmediate).toBe(original);
  });

  it('runs every callback scheduled during a wait, past the fast ticks too', async () => {
    let release!: () => void;
    const pending = gpuWait(new Promise<void>((r) => (release = r)));
    let ran = 0;
    // A poller that re-arms itself as dawn-node does, 200 times (past the immediate ticks).
    await new Promise<void>((done) => {
      const tick = (): void => {
        ran++;
        if (ran < 200) globalThis.setImmediate(tick);
        else done();
      };
      globalThis.setImmediate(tick);
    });
    release();
    await pending;
    expect(ran).toBe(200);
  });
});
