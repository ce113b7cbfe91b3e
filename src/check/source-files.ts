/**
 * Reading .mat sources from disk without trusting the path: only regular files ending in `.mat`,
 * at most MAX_SOURCE_BYTES. `/dev/zero` would otherwise be read forever, a FIFO would block, and
 * `import "/etc/passwd"` would echo the file's first line in a syntax error.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { MAX_SOURCE_BYTES } from '../../grammar/limits.js';

/** Why a path was not read; the message completes "cannot read `PATH`: ...". */
export class SourceRefused {
  constructor(readonly reason: string) {}
}

const megabytes = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(0)} MB`;

/** The refusal for a path that does not end in `.mat` (checked before the file is opened). */
export function checkSourceName(path: string): SourceRefused | undefined {
  return path.endsWith('.mat') ? undefined : new SourceRefused('.mat sources must have names ending in `.mat`');
}

/** The refusal for a text over the size limit. */
export function checkSourceSize(bytes: number): SourceRefused | undefined {
  return bytes > MAX_SOURCE_BYTES ? new SourceRefused(`it is larger than the ${megabytes(MAX_SOURCE_BYTES)} limit for .mat files`) : undefined;
}

/**
 * The UTF-8 text of the .mat file at `path`; undefined if there is no such file. Opened
 * non-blocking, so a FIFO is refused instead of waiting for a writer, and read only up to the limit.
 */
export function readSourceFile(path: string): string | undefined | SourceRefused {
  const badName = checkSourceName(path);
  if (badName) return badName;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : new SourceRefused(code === 'EACCES' ? 'permission denied' : `cannot open it (${code ?? 'unknown error'})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return new SourceRefused(stat.isDirectory() ? 'it is a directory' : 'it is not a regular file');
    const tooBig = checkSourceSize(stat.size);
    if (tooBig) return tooBig;
    // Read at most one byte past the limit: a file that grew after the stat is still refused.
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_SOURCE_BYTES) + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    return checkSourceSize(length) ?? buffer.toString('utf8', 0, length);
  } catch (e) {
    return new SourceRefused(`cannot read it (${(e as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  } finally {
    closeSync(fd);
  }
}
