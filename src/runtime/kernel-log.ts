/**
 * Kernel census for measuring compile cost. Lavapipe JIT-compiles every distinct WGSL source
 * once per machine (then Mesa's shader cache serves it), so what a cold run pays is the number
 * of distinct kernels times their compile time. With MATC_KERNEL_LOG=DIR every newly built
 * pipeline appends one line to DIR/log.jsonl (who asked: MATC_KERNEL_LOG_TAG, e.g. the test
 * file) and saves its source once as DIR/wgsl/HASH.wgsl, which bench/kernel-census.ts then
 * compiles one by one against an empty cache. Off (and free) unless the variable is set.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function logKernel(code: string, inputs: number, label: string): void {
  const dir = process.env['MATC_KERNEL_LOG'];
  if (!dir) return;
  const hash = createHash('sha1').update(`${inputs}|${code}`).digest('hex').slice(0, 16);
  const sources = join(dir, 'wgsl');
  mkdirSync(sources, { recursive: true });
  const file = join(sources, `${hash}.wgsl`);
  if (!existsSync(file)) writeFileSync(file, `// inputs: ${inputs}\n// label: ${label}\n${code}`);
  const line = { tag: process.env['MATC_KERNEL_LOG_TAG'] ?? '', pid: process.pid, label, hash };
  appendFileSync(join(dir, 'log.jsonl'), `${JSON.stringify(line)}\n`);
}
