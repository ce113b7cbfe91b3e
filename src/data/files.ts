/**
 * Reading raw dataset files from disk: transparently gunzips (detected by the gzip magic bytes,
 * not the file name, since people rename files) and turns I/O failures into DataErrors.
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError, corruptFile } from './errors.js';

/** The first two bytes of every gzip stream (RFC 1952). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads a file whole; inflates it when it is gzip-compressed. */
export function readDataFile(file: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`Dataset file ${file} does not exist.`, file);
    if (code === 'EACCES') throw new DataError(`Dataset file ${file} is not readable (permission denied).`, file);
    if (code === 'EISDIR') throw new DataError(`Dataset file ${file} is a directory, expected a file.`, file);
    throw new DataError(`Could not read dataset file ${file}: ${(err as Error).message}`, file);
  }
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (!isGzip(bytes)) return bytes;
  try {
    const inflated = gunzipSync(bytes);
    return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
  } catch (err) {
    throw corruptFile(file, `it starts like gzip but does not decompress (${(err as Error).message})`);
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
