/** `matc queue status|drain|retry --queue URL [--group ID]` (src/queue/status.ts). */
import { UserError } from '../../util/errors.js';

export interface QueueCommandOptions {
  action: string;
  queue: string;
  group?: string;
}

export async function queueCommand(o: QueueCommandOptions, out: (s: string) => void): Promise<void> {
  if (!['status', 'drain', 'retry'].includes(o.action)) throw new UserError(`queue: unknown action '${o.action}'; expected status, drain or retry`);
  const { parseQueueUrl, checkReachable } = await import('../../queue/connection.js');
  const { openQueue } = await import('../../queue/sweep-queue.js');
  const status = await import('../../queue/status.js');
  const connection = parseQueueUrl(o.queue);
  await checkReachable(connection);
  const queue = openQueue(connection);
  try {
    if (o.action === 'status') out(await status.queueStatus(queue, o.group));
    else if (o.action === 'drain') out(`removed ${await status.drainQueue(queue, o.group)} waiting job(s); running jobs finish`);
    else out(`${await status.retryFailed(queue, o.group)} failed job(s) back in the queue`);
  } finally {
    await queue.close();
  }
}
