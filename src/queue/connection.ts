/**
 * The `--queue redis://[user:password@]HOST:PORT[/DB]` URL: parsed once, checked by a PING before
 * anything is enqueued or a worker starts (an unreachable Redis is the user's problem, exit 1, not
 * a hang in ioredis's reconnect loop), and never printed with its password: every message the queue
 * code shows goes through `display`/`scrub`.
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'bullmq';
import { UserError } from '../util/errors.js';

export interface QueueConnection {
  /** Options for BullMQ's own ioredis clients (Queue, Worker). */
  options: RedisOptions;
  /** The URL with its password replaced by `***`: the only form that is printed. */
  display: string;
  /** Replace the password anywhere in `text` (error messages from ioredis or a job). */
  scrub(text: string): string;
}

export class QueueUrlError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** `redis://u:secret@h:6379/0` -> `redis://u:***@h:6379/0`; anything unparsable is hidden whole. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^@/]*)@/, '//***@');
  }
}

export function parseQueueUrl(url: string): QueueConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueUrlError(`--queue '${maskUrl(url)}' is not a URL; expected redis://HOST:PORT (or redis://:PASSWORD@HOST:PORT/DB, rediss:// for TLS)`);
  }
  const display = maskUrl(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueUrlError(`--queue ${display}: the scheme must be redis:// or rediss://, not ${u.protocol}//`);
  if (!u.hostname) throw new QueueUrlError(`--queue ${display}: no host`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new QueueUrlError(`--queue ${display}: the path must be a database number (redis://HOST:PORT/0), not '/${dbText}'`);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const options: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's blocking connections require this; commands wait for a reconnect instead of failing.
    maxRetriesPerRequest: null,
  };
  const secrets = [password, u.password].filter((s): s is string => Boolean(s));
  const scrub = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text);
  return { options, display, scrub };
}

/**
 * One PING with no retries: fails in seconds with a clear message when Redis is down, the host is
 * wrong or the password is refused. BullMQ's clients (created afterwards) then reconnect forever,
 * which is what a long-running worker wants when Redis restarts.
 */
export async function checkReachable(c: QueueConnection, timeoutMs = 5000): Promise<void> {
  const client = new Redis({ ...(c.options as Record<string, unknown>), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  // ioredis reports the cause (ECONNREFUSED, ENOTFOUND) as an event and rejects with a generic
  // "Connection is closed"; keep the cause for the message (and so ioredis does not print it itself).
  let cause: Error | undefined;
  client.on('error', (e: Error) => {
    cause ??= e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new QueueUrlError(`cannot reach Redis at ${c.display}: ${c.scrub((cause ?? (e as Error)).message)}`);
  } finally {
    client.disconnect();
  }
}
