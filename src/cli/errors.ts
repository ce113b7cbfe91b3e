/**
 * How the CLI reports failures: errors caused by the user's input (a bad .mat file, a missing data
 * set, a bad checkpoint, no GPU driver) print a clear message and exit 1 without a stack trace.
 * Anything else is a bug in matc: it prints the message, asks for a report, and shows the stack
 * only with MATC_DEBUG=1.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** Error classes whose message is meant for the user as is. */
const USER_FACING = new Set(['UserError', 'DataError', 'CheckpointError', 'GpuUnavailableError', 'DeviceLostError', 'NonFiniteLossError', 'GpuError']);

export function reportError(e: unknown): number {
  const err = e instanceof Error ? e : new Error(String(e));
  if (USER_FACING.has(err.name)) {
    process.stderr.write(`matc: ${err.message}\n`);
    return (err as { exitCode?: number }).exitCode ?? 1;
  }
  process.stderr.write(`matc: internal error: ${err.message}\nThis is a bug in matc; please report it with the command you ran.\n`);
  if (process.env['MATC_DEBUG']) process.stderr.write(`${err.stack}\n`);
  return 2;
}
