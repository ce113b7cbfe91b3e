/**
 * The host's load while a bench runs. On a software adapter the "GPU" is the CPU, so other
 * processes slow every kernel; the benches print the load so contended numbers are recognisable.
 */
import { cpus, loadavg } from 'node:os';

export function loadLine(): string {
  const [one] = loadavg();
  const cores = cpus().length;
  const busy = one! > cores ? ` (busy: more runnable processes than ${cores} cores; absolute numbers are contended, same-run ratios less so)` : '';
  return `load average ${one!.toFixed(1)} on ${cores} cores${busy}`;
}
