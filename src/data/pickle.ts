/**
 * A restricted reader for Python pickles, built on the `pickleparser` package. Pickles can name
 * any Python global and call it (GLOBAL + REDUCE), so a loader that resolved names freely would
 * run whatever a file asks for. Here every global goes through an allow-list the caller supplies;
 * any other name stops the read with a DataError naming the file and the global. Nothing in the
 * file is ever executed: allowed names map to plain TypeScript functions that only build values.
 *
 * Values come back as: int -> number, py2 str -> string whose char codes are the raw bytes
 * (latin1, so binary payloads survive byte for byte), dict -> Map, list and tuple -> array,
 * None -> null, bool -> boolean, and whatever the allowed functions return.
 */
import { Parser } from 'pickleparser';
import { DataError, corruptFile, describeBytes } from './errors.js';

// The package's index does not re-export these interfaces; take them from the signatures.
type IReader = Parameters<Parser['read']>[0];
type NameResolver = NonNullable<ConstructorParameters<typeof Parser>[0]>['nameResolver'] & object;

/** What a GLOBAL may resolve to: functions keyed by 'module.name'. */
export type PickleGlobals = ReadonlyMap<string, (...args: never[]) => unknown>;

/** Thrown by the reader when an opcode wants bytes past the end of the file. */
class PickleTruncated extends Error {}

/** Thrown by the name resolver for a global outside the allow-list. */
class ForbiddenGlobal extends Error {
  constructor(readonly qualifiedName: string) {
    super(qualifiedName);
  }
}

/**
 * The byte source pickleparser reads from. Unlike the package's own BufferReader it decodes
 * BINSTRING/SHORT_BINSTRING (py2 str) as latin1, which is exact for every byte (the package's
 * 'ascii' TextDecoder is really windows-1252 and would remap 0x80..0x9f), and it reports
 * truncation as its own error type so the message can say so.
 */
class ByteReader implements IReader {
  private readonly view: DataView;
  private readonly buffer: Buffer;
  position = 0;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  private take(length: number): number {
    const at = this.position;
    if (!Number.isSafeInteger(length) || length < 0 || at + length > this.data.length) {
      throw new PickleTruncated(`needed ${length} byte${length === 1 ? '' : 's'} at offset ${at}`);
    }
    this.position += length;
    return at;
  }

  byte(): number {
    return this.data[this.take(1)]!;
  }
  bytes(length: number): Uint8Array {
    const at = this.take(length);
    return this.data.subarray(at, at + length);
  }
  uint16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  int32(): number {
    return this.view.getInt32(this.take(4), true);
  }
  uint32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  uint64(): number {
    const at = this.take(8);
    return this.view.getUint32(at, true) + 2 ** 32 * this.view.getUint32(at + 4, true);
  }
  float64(): number {
    return this.view.getFloat64(this.take(8), false);
  }
  skip(offset: number): void {
    this.take(offset);
  }
  string(size: number, encoding: 'ascii' | 'utf-8'): string {
    const at = this.take(size);
    return this.buffer.toString(encoding === 'utf-8' ? 'utf8' : 'latin1', at, at + size);
  }
  line(): string {
    const end = this.data.indexOf(0x0a, this.position);
    if (end < 0) throw new PickleTruncated(`a text argument at offset ${this.position} has no end of line`);
    const text = this.string(end - this.position, 'ascii');
    this.position++;
    return text;
  }
  hasNext(): boolean {
    return this.position < this.data.length;
  }
}

/** Unpickles `bytes` (read from `file`), resolving globals only through `globals`. */
export function readPickle(bytes: Uint8Array, file: string, globals: PickleGlobals): unknown {
  const resolver: NameResolver = {
    resolve(module, name) {
      const fn = globals.get(`${module}.${name}`);
      if (!fn) throw new ForbiddenGlobal(`${module}.${name}`);
      return fn as (...args: unknown[]) => unknown;
    },
  };
  const parser = new Parser({ nameResolver: resolver, unpicklingTypeOfDictionary: 'Map', unpicklingTypeOfSet: 'array' });
  const reader = new ByteReader(bytes);
  let value: unknown;
  try {
    value = parser.read(reader);
  } catch (err) {
    throw explainFailure(err, file, bytes.length, [...globals.keys()]);
  }
  if (reader.position < bytes.length) {
    throw corruptFile(file, `${describeBytes(bytes.length - reader.position)} follow the end of the pickle (STOP at offset ${reader.position - 1})`);
  }
  return value;
}

function explainFailure(err: unknown, file: string, size: number, allowed: string[]): DataError {
  if (err instanceof DataError) return err;
  if (err instanceof ForbiddenGlobal) {
    return new DataError(
      `Refusing to load ${file}: the pickle asks for the Python global ${err.qualifiedName}, and matc only allows ${allowed.join(', ')}. ` +
        'Nothing from the file was run. It is not the dataset file matc expected, or it has been tampered with.',
      file,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof PickleTruncated || message === 'Unexpected end of file.') {
    const where = err instanceof PickleTruncated ? `${message}; ` : '';
    return corruptFile(file, `the pickle ends early (${where}the file has ${describeBytes(size)})`, 'The file is truncated; download it again.');
  }
  return corruptFile(file, `not a pickle matc can read (${message.replace(/\.$/, '')})`);
}
