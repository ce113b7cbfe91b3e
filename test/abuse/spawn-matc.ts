/**
 * The built `matc` binary as a user runs it: a separate process, so exit codes, stderr and crash
 * handling are the real ones (test/cli/cli.test.ts calls main() in-process instead).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const MATC_BIN = resolve('dist/src/cli/bin.js');

/** Builds dist/ when it is missing (scripts/run-tests.sh always builds first). */
export function ensureBuilt(): void {
  if (!existsSync(MATC_BIN)) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment without MATC_DEBUG (stack traces off), plus `extra`. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('MATC_DEBUG' in extra)) delete env['MATC_DEBUG'];
  return env;
}

export function runMatc(args: readonly string[], env: Record<string, string> = {}): Finished {
  return runNode([MATC_BIN, ...args], env);
}

/** `node ARGS` from the repository root. */
export function runNode(args: readonly string[], env: Record<string, string> = {}): Finished {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: environment(env), timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A line of a JavaScript stack trace. */
export const STACK_LINE = /^ {4}at /m;
