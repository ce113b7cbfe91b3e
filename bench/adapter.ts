/** One line naming the adapter a bench ran on (printed with every table). */
import type { AdapterDescription } from '../src/runtime/device.js';

export function describeAdapter(a: AdapterDescription): string {
  const name = [a.vendor, a.architecture, a.device, a.description && `(${a.description})`].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'} [${a.backend}${a.isSoftware ? ', software' : ''}]`;
}
