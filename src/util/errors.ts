/**
 * How the CLI reports failures, and its exit codes:
 *   0  success
 *   1  a problem with the user's input or machine: a bad .mat file or option, bad or missing data,
 *      a bad checkpoint, a path that cannot be read or written, no GPU driver, a lost device, GPU
 *      memory exhausted. The message says what and where; no stack trace.
 *   2  an internal error, i.e. a bug in matc (this includes GPU validation errors: matc generated
 *      an invalid kernel or command, and every InternalError, src/util/internal-error.ts: a broken
 *      invariant). The message asks for a report.
 * MATC_DEBUG=1 adds the stack trace to either.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_INTERNAL_ERROR = 2;

/** Error classes whose message is meant for the user as is. */
const USER_FACING = new Set(['UserError', 'DataError', 'CheckpointError', 'GpuUnavailableError', 'DeviceLostError', 'NonFiniteLossError', 'MetricsError', 'EvalSummaryError']);

/** What a file-system error code means, for a path the user gave (an input file, --out, --data-dir). */
const FS_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory, expected a file',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the directory is not empty',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
};

/** The message and exit code of `err` if it is the user's to fix, else undefined (a bug). */
export function userProblem(err: Error): { message: string; code: number } | undefined {
  if (USER_FACING.has(err.name)) return { message: err.message, code: (err as { exitCode?: number }).exitCode ?? EXIT_USER_ERROR };
  const fs = err as NodeJS.ErrnoException & { dest?: string };
  if (typeof fs.code === 'string' && FS_PROBLEMS[fs.code] && typeof fs.path === 'string') {
    const target = fs.dest ? `${fs.path} to ${fs.dest}` : fs.path;
    return { message: `cannot ${fs.syscall ?? 'access'} ${target}: ${FS_PROBLEMS[fs.code]}`, code: EXIT_USER_ERROR };
  }
  if (err.name === 'ZodError') return { message: `invalid settings: ${zodIssues(err)}`, code: EXIT_USER_ERROR };
  if (err.name === 'GpuError' && /out of memory|OutOfMemory/i.test(err.message)) {
    return { message: `${err.message}\nThe GPU ran out of memory: use a smaller batch (train.batch, or --batch).`, code: EXIT_USER_ERROR };
  }
  return undefined;
}

/** zod's issues as `path: message` (its own message is a JSON dump). */
function zodIssues(err: Error): string {
  const issues = (err as { issues?: { path?: PropertyKey[]; message?: string }[] }).issues ?? [];
  if (issues.length === 0) return err.message;
  return issues.map((i) => `${(i.path ?? []).map(String).join('.') || '(root)'}: ${i.message ?? 'invalid'}`).join('; ');
}

const debugging = (): boolean => {
  const v = process.env['MATC_DEBUG'];
  return v !== undefined && v !== '' && v !== '0';
};

/** Prints `e` for the user and returns the exit code (1 or 2). */
export function reportError(e: unknown): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const user = userProblem(err);
  if (user) process.stderr.write(`matc: ${user.message}\n`);
  else process.stderr.write(`matc: internal error: ${err.message}\nThis is a bug in matc; please report it with the command you ran (MATC_DEBUG=1 shows where it happened).\n`);
  if (debugging()) process.stderr.write(`${err.stack}\n`);
  return user ? user.code : EXIT_INTERNAL_ERROR;
}

/**
 * Errors that escape every command's await chain (a promise nobody awaits, a throw in a callback,
 * e.g. from the GPU device's event handlers) get the same report and exit code instead of Node's
 * stack trace and exit status.
 */
export function installCrashHandlers(): void {
  const crash = (e: unknown) => process.exit(reportError(e));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}
