/**
 * The safetensors file format (https://github.com/huggingface/safetensors), written and read
 * byte for byte as the reference implementation does, so that `safetensors.torch.load_file` reads
 * what matc writes and matc reads what PyTorch writes:
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  a JSON object, padded with spaces to a multiple of 8:
 *              { "__metadata__": { string: string },            (optional)
 *                "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ... }
 *   [rest]     the data buffer: every tensor's elements, little-endian, C order, at
 *              [begin, end) relative to the start of the buffer; tensors tile it exactly.
 *
 * matc supports the dtypes it needs: F32 (weights, statistics), I64 (PyTorch's num_batches_tracked),
 * I32, U32 and F64.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { shapeText } from '../util/shape-text.js';

/** A checkpoint file that cannot be read or does not fit what is asked of it. */
export class CheckpointError extends Error {
  constructor(
    /** The file the problem is about. */
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'U32' | 'I64';

const itemSizes: Record<SafetensorsDType, number> = { F64: 8, I64: 8, F32: 4, I32: 4, U32: 4 };

/** Valid safetensors dtypes matc does not read, for a precise message. */
const otherSafetensorsDTypes = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'U64'];

/** The reference implementation refuses headers over 100 MB; so do we (a corrupt length is usually huge). */
export const MAX_HEADER_BYTES = 100_000_000;

export function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.hasOwn(itemSizes, s);
}

export function itemSize(dtype: SafetensorsDType): number {
  return itemSizes[dtype];
}

/** A tensor to write. I64 values come from any numbers (matc keeps counters as f32 on the device); they must be integers. */
export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** Values as read: I64 and F64 come back as a Float64Array of Numbers (I64 must fit in 2^53). */
export type TensorValues = Float32Array | Float64Array | Int32Array | Uint32Array;

export interface StoredTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: TensorValues;
}

export interface SafetensorsContents {
  /** Every tensor of the file, by name. */
  tensors: Map<string, StoredTensor>;
  /** `__metadata__`, or {} if the file has none. */
  metadata: Record<string, string>;
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export { shapeText };

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------- writing

/**
 * The order of tensors in the file: largest item size first, then by name, as the reference
 * implementation does, so that every tensor starts at a multiple of its item size.
 */
function fileOrder(tensors: readonly TensorToWrite[]): TensorToWrite[] {
  return [...tensors].sort((a, b) => itemSizes[b.dtype] - itemSizes[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function checkTensorToWrite(t: TensorToWrite): void {
  if (t.name === '__metadata__' || t.name === '') throw new Error(`safetensors: '${t.name}' cannot be a tensor name`);
  if (!isSafetensorsDType(t.dtype)) throw new Error(`safetensors: tensor ${t.name} has unsupported dtype ${String(t.dtype)}`);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`safetensors: tensor ${t.name} has invalid shape ${shapeText(t.shape)}`);
  const n = elementCount(t.shape);
  if (t.data.length !== n) throw new Error(`safetensors: tensor ${t.name} has ${t.data.length} values for shape ${shapeText(t.shape)} (${n})`);
}

function checkIntegers(t: TensorToWrite, min: number, max: number): void {
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!;
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`safetensors: tensor ${t.name} (${t.dtype}) has value ${v} at index ${i}, not an integer in range`);
  }
}

/** The little-endian bytes of one tensor's values. */
export function encodeTensorData(t: TensorToWrite): Uint8Array {
  checkTensorToWrite(t);
  const n = t.data.length;
  const bytes = new Uint8Array(n * itemSizes[t.dtype]);
  const view = new DataView(bytes.buffer);
  switch (t.dtype) {
    case 'F32':
      if (littleEndianHost) new Float32Array(bytes.buffer).set(t.data);
      else for (let i = 0; i < n; i++) view.setFloat32(i * 4, t.data[i]!, true);
      break;
    case 'F64':
      if (littleEndianHost) new Float64Array(bytes.buffer).set(t.data);
      else for (let i = 0; i < n; i++) view.setFloat64(i * 8, t.data[i]!, true);
      break;
    case 'I32':
      if (!(t.data instanceof Int32Array)) checkIntegers(t, -(2 ** 31), 2 ** 31 - 1);
      for (let i = 0; i < n; i++) view.setInt32(i * 4, t.data[i]!, true);
      break;
    case 'U32':
      if (!(t.data instanceof Uint32Array)) checkIntegers(t, 0, 2 ** 32 - 1);
      for (let i = 0; i < n; i++) view.setUint32(i * 4, t.data[i]!, true);
      break;
    case 'I64':
      checkIntegers(t, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      for (let i = 0; i < n; i++) view.setBigInt64(i * 8, BigInt(t.data[i]!), true);
      break;
  }
  return bytes;
}

/** The 8-byte length and the space-padded JSON header for tensors already in file order. */
function encodeHeader(ordered: readonly TensorToWrite[], metadata: Record<string, string>): Uint8Array {
  // Built by hand rather than with JSON.stringify(object): an object would move integer-like
  // names ("0") to the front and break the file order.
  const entries: string[] = [];
  const metadataKeys = Object.keys(metadata);
  if (metadataKeys.length > 0) {
    for (const k of metadataKeys) {
      if (typeof metadata[k] !== 'string') throw new Error(`safetensors: metadata value of '${k}' must be a string`);
    }
    entries.push(`"__metadata__":{${metadataKeys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const t of ordered) {
    const size = elementCount(t.shape) * itemSizes[t.dtype];
    entries.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + size}]}`);
    offset += size;
  }
  const json = Buffer.from(`{${entries.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/** The file as a sequence of chunks (header, then each tensor), for streaming to disk. */
export function* safetensorsChunks(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Generator<Uint8Array> {
  const names = new Set<string>();
  for (const t of tensors) {
    checkTensorToWrite(t);
    if (names.has(t.name)) throw new Error(`safetensors: tensor ${t.name} appears twice`);
    names.add(t.name);
  }
  const ordered = fileOrder(tensors);
  yield encodeHeader(ordered, metadata);
  for (const t of ordered) yield encodeTensorData(t);
}

/** The whole file in memory. */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  return Buffer.concat([...safetensorsChunks(tensors, metadata)]);
}

/** Write a safetensors file atomically (see atomic-write.ts). */
export async function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, async (sink) => {
    for (const chunk of safetensorsChunks(tensors, metadata)) await sink.write(chunk);
  });
}

// ---------------------------------------------------------------- reading

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseEntry(name: string, raw: unknown, fail: (problem: string) => never): HeaderEntry {
  if (!isPlainObject(raw)) return fail(`tensor ${name}: its header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isSafetensorsDType(dtype)) {
    if (typeof dtype === 'string' && otherSafetensorsDTypes.includes(dtype)) {
      return fail(`tensor ${name} has dtype ${dtype}, which matc does not read (it reads ${Object.keys(itemSizes).join(', ')})`);
    }
    return fail(`tensor ${name} has unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`tensor ${name} has invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return fail(`tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end])`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(`tensor ${name} has data_offsets [${begin}, ${end}] that end before they begin`);
  const expected = elementCount(shape) * itemSizes[dtype];
  if (end - begin !== expected) {
    return fail(`tensor ${name}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} of shape ${shapeText(shape)} needs ${expected}`);
  }
  return { name, dtype, shape, begin, end };
}

function parseMetadata(raw: unknown, fail: (problem: string) => never): Record<string, string> {
  if (!isPlainObject(raw)) return fail('__metadata__ is not an object');
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') fail(`__metadata__ value of '${k}' is not a string`);
  }
  return raw as Record<string, string>;
}

/** The header: tensor entries in header order, the metadata, and where the data buffer starts. */
function parseHeader(bytes: Uint8Array, source: string): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  const fail = (problem: string): never => {
    throw new CheckpointError(source, `not a valid safetensors file: ${problem}`);
  };
  if (bytes.length < 8) fail(`the file has ${bytes.length} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`the header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(headerLength);
  if (8 + n > bytes.length) fail(`the header length ${n} runs past the end of the file (${bytes.length} bytes); the file is truncated`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) return fail('the header is not a JSON object');
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(raw, fail);
    else entries.push(parseEntry(name, raw, fail));
  }
  checkLayout(entries, bytes.length - 8 - n, fail);
  return { entries, metadata, dataStart: 8 + n };
}

/** Tensors must tile the data buffer exactly: within it, no overlaps, no gaps, nothing after. */
function checkLayout(entries: readonly HeaderEntry[], dataLength: number, fail: (problem: string) => never): void {
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: HeaderEntry | undefined;
  for (const e of byOffset) {
    if (e.end > dataLength) fail(`tensor ${e.name} ends at byte ${e.end} of the data, but the file holds ${dataLength} bytes of data; the file is truncated`);
    if (e.begin < cursor) fail(`tensors ${previous!.name} [${previous!.begin}, ${previous!.end}] and ${e.name} [${e.begin}, ${e.end}] overlap`);
    if (e.begin > cursor) fail(`bytes ${cursor} to ${e.begin} of the data belong to no tensor`);
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) fail(`the file has ${dataLength - cursor} bytes after the last tensor`);
}

function decodeValues(e: HeaderEntry, raw: Uint8Array, source: string): TensorValues {
  // Copy into a fresh buffer: typed arrays need aligned offsets, which the file need not give.
  const bytes = new Uint8Array(raw.byteLength);
  bytes.set(raw);
  const n = elementCount(e.shape);
  const view = new DataView(bytes.buffer);
  switch (e.dtype) {
    case 'F32': {
      if (littleEndianHost) return new Float32Array(bytes.buffer);
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true));
    }
    case 'F64': {
      if (littleEndianHost) return new Float64Array(bytes.buffer);
      return Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
    }
    case 'I32':
      return littleEndianHost ? new Int32Array(bytes.buffer) : Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true));
    case 'U32':
      return littleEndianHost ? new Uint32Array(bytes.buffer) : Uint32Array.from({ length: n }, (_, i) => view.getUint32(i * 4, true));
    case 'I64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new CheckpointError(source, `tensor ${e.name} holds ${v} at index ${i}, too large to read exactly as a number`);
        }
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** Parse a whole safetensors file; `source` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsContents {
  const { entries, metadata, dataStart } = parseHeader(bytes, source);
  const tensors = new Map<string, StoredTensor>();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decodeValues(e, raw, source) });
  }
  return { tensors, metadata };
}

/** A checkpoint file's bytes; a missing or unreadable file is a CheckpointError. */
export async function readCheckpointBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'no such file' : `cannot read the file (${(e as Error).message})`);
  }
}

/** Read and validate a safetensors file. */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  return decodeSafetensors(await readCheckpointBytes(path), path);
}
