/**
 * Atomic file replacement: a reader (or a run resumed after a crash) sees either the old file or
 * the complete new one, never a prefix. The bytes go to a temporary file beside the target (same
 * directory, hence same file system, so the rename is atomic), which is flushed to disk before it
 * is renamed over the target; the directory is flushed afterwards so the rename itself survives a
 * power loss.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Where a producer writes its bytes, in order. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

/** The temporary name for `path`: unique per process and call, recognizable for cleanup. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Replace `path` with the bytes `produce` writes to the sink. If `produce` (or any file operation)
 * throws, the temporary file is removed, `path` is untouched, and the error propagates.
 */
export async function writeFileAtomic(path: string, produce: (sink: ByteSink) => Promise<void> | void): Promise<void> {
  const tmp = temporaryPathFor(path);
  // 'wx': fail rather than clobber if the name somehow exists.
  const handle = await open(tmp, 'wx', 0o644);
  let closed = false;
  try {
    const sink: ByteSink = {
      async write(chunk) {
        let offset = 0;
        // FileHandle.write may write fewer bytes than asked; loop until the chunk is out.
        while (offset < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
          offset += bytesWritten;
        }
      },
    };
    await produce(sink);
    await handle.sync();
    await handle.close();
    closed = true;
    await rename(tmp, path);
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Replace `path` with `data` atomically (text is written as UTF-8). */
export async function writeBytesAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  await writeFileAtomic(path, (sink) => sink.write(bytes));
}

/**
 * Flush a directory entry change (a rename) to disk. Some platforms cannot open or fsync a
 * directory (Windows, some network file systems); there the rename is as durable as it gets.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * The synchronous twin of writeBytesAtomic, for small records written where the caller cannot
 * await (sweep bookkeeping, lock-free summaries): same temporary name, fsync, rename, directory
 * flush, and the same cleanup when a step fails.
 */
export function writeBytesAtomicSync(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = temporaryPathFor(path);
  const fd = openSync(tmp, 'wx', 0o644);
  let closed = false;
  try {
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (error) {
    if (!closed) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    rmSync(tmp, { force: true });
    throw error;
  }
  syncDirectorySync(dirname(path));
}

function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EBADF') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
