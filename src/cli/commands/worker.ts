/** `matc worker --queue URL [--concurrency N] [--name NAME]`: one per GPU or machine (src/queue/worker.ts). */
import { UserError } from '../../util/errors.js';

export interface WorkerCommandOptions {
  queue: string;
  concurrency: number;
  name?: string;
  dataDir?: string;
  lockSeconds: number;
}

export async function workerCommand(o: WorkerCommandOptions, out: (s: string) => void): Promise<void> {
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new UserError('worker: --concurrency must be a positive integer');
  if (!Number.isFinite(o.lockSeconds) || o.lockSeconds < 2) throw new UserError('worker: --lock-seconds must be a number of seconds, at least 2');
  const { parseQueueUrl } = await import('../../queue/connection.js');
  const { runWorker } = await import('../../queue/worker.js');
  await runWorker({ connection: parseQueueUrl(o.queue), concurrency: o.concurrency, ...(o.name ? { name: o.name } : {}), ...(o.dataDir ? { dataDir: o.dataDir } : {}), lockSeconds: o.lockSeconds }, out);
  // A job handed back on SIGTERM may still have work in flight in this process: end it here, so
  // nothing more is written to a run folder another worker now owns.
  process.exit(0);
}
