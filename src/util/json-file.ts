/**
 * Reading a JSON file that another matc process or a user wrote (run manifests, lock files, sweep
 * records): parsed, then checked against a zod schema, so the rest of the code gets the type the
 * schema proves instead of an `as` cast over whatever was on disk.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/** The first problem zod found, as `runs.0.name: Invalid input: expected string, received number`. */
export function firstIssue(error: z.ZodError, root = '(root)'): string {
  const issue = error.issues[0]!;
  return `${issue.path.length ? issue.path.map(String).join('.') : root}: ${issue.message}`;
}

export type JsonRead<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * The file's content if it is JSON of the schema's shape, else a reason that names the file
 * (`run.json: not JSON (...)`, `run.json: not a matc run manifest (seed: ...)`; `what` names the
 * kind of file). It
 * does not throw for a bad file: for some callers that is an error (a manifest), for others it
 * means absent (a half-written lock file). Errors reading the file itself (ENOENT, EACCES) throw.
 */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string): JsonRead<z.infer<S>> {
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `${path}: not JSON (${(e as Error).message})` };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: `${path}: not ${what} (${firstIssue(parsed.error)})` };
}
