/**
 * One writer per run directory. `run.lock` is created with O_EXCL (open flag 'wx'), so of two runs
 * started at once exactly one gets it; it holds the holder's pid, host and start time so the
 * other can name it. A lock whose holder is gone (same host, pid not alive: a `kill -9` or a power
 * loss) is taken over with a note; a lock from another host is never guessed at. The lock is
 * released when the run ends, throws, or the process gets SIGINT/SIGTERM or exits.
 */
import { openSync, writeSync, closeSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RUN_FILES } from './run-dir.js';
import { z } from 'zod';
import { RunDirError } from './run-folder.js';
import { readJsonFile } from '../util/json-file.js';

const lockHolderSchema = z.object({ pid: z.number(), host: z.string(), started: z.string() });
export type LockHolder = z.infer<typeof lockHolderSchema>;

export interface RunLock {
  readonly path: string;
  /** Set when a stale lock was taken over: what it said. */
  readonly note: string | null;
  /** Remove the lock (only if it is still ours); idempotent. */
  release(): void;
}

/** Whether a process with this pid exists on this host (EPERM: it exists but is someone else's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder a lock file names, or null when it is unreadable or half written. */
export function readHolder(path: string): LockHolder | null {
  try {
    const h = readJsonFile(path, lockHolderSchema, 'a matc run lock');
    if (h.ok) return h.value;
  } catch {
    // unreadable or half written: treated as held (see acquireRunLock)
  }
  return null;
}

function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, started ${h.started}`;
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Take the run directory's lock or throw a RunDirError naming the run that holds it. */
export function acquireRunLock(dir: string): RunLock {
  const path = join(dir, RUN_FILES.lock);
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  let note: string | null = null;
  if (!tryCreate(path, me)) {
    const holder = readHolder(path);
    if (!holder) {
      throw new RunDirError(`${dir} is locked by another run (${path} exists but cannot be read; it may be being written right now). If no run uses this directory, delete ${path}`);
    }
    const stale = holder.host === me.host && holder.pid !== me.pid && !processAlive(holder.pid);
    if (!stale) {
      const where = holder.host === me.host ? '' : ` (another host: matc cannot tell whether it still runs; if it does not, delete ${path})`;
      throw new RunDirError(`${dir} is in use by another run: ${describeHolder(holder)}${where}. Wait for it to finish, or choose another --out`);
    }
    // The holder died without releasing. Remove its lock and race for a new one like a fresh start.
    unlinkSync(path);
    if (!tryCreate(path, me)) throw new RunDirError(`${dir} is in use by another run that took over the same stale lock (${path}); choose another --out`);
    note = `took over a stale lock of ${describeHolder(holder)}: that process no longer runs`;
  }
  return holdLock(path, me, note);
}

function holdLock(path: string, me: LockHolder, note: string | null): RunLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    // Only our own lock: a file replaced by a stale-lock takeover belongs to another run.
    const current = readHolder(path);
    if (current && current.pid === me.pid && current.host === me.host && current.started === me.started) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  };
  // A signal ends the process without running `finally` blocks: release here, then let the signal
  // do what it would have done (terminate) unless the embedding program handles it itself.
  const onSignal = (signal: NodeJS.Signals): void => {
    release();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on('exit', release);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { path, note, release };
}
