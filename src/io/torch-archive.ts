/**
 * The zip archive `torch.save` writes (PyTorch >= 1.6):
 *
 *   <name>/data.pkl      the pickled object; storages appear as persistent ids naming a key
 *   <name>/data/<key>    each storage's bytes, stored uncompressed
 *   <name>/version       the format version
 *   <name>/byteorder     'little' or 'big' (PyTorch >= 2.1; absent means little-endian)
 *
 * `openTorchArchive` recognises the other things a .pt file can be and refuses them clearly, and
 * reads records lazily, so that tensors nobody asks for (an optimizer's) are never copied.
 * Sizes are checked before anything is inflated: a stored record cannot be larger than the file,
 * and compressed records (torch.save writes none; a re-zipped archive may) are capped.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import { CheckpointError } from './safetensors.js';

export interface TorchArchive {
  /** The archive's folder, with its slash, e.g. `model/`. */
  prefix: string;
  /** data.pkl. */
  pickle: Uint8Array;
  littleEndian: boolean;
  /** The bytes of the storage records with these keys (`<prefix>data/<key>`); missing ones are absent from the map. */
  storages(keys: Iterable<string>): Map<string, Uint8Array>;
}

/** The most bytes compressed records may inflate to in all: far above a checkpoint's, far below memory. */
export const MAX_INFLATED_BYTES = 2 ** 30;
/** Deflate cannot compress by more than about 1032:1, so a record declaring more lies (a zip bomb or corruption). */
const MAX_DEFLATE_RATIO = 1032;

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** A pickle's PROTO opcode: a legacy (pre-1.6) torch.save file starts with one, then its magic number. */
const PICKLE_PROTO = 0x80;

export const isZipArchive = (bytes: Uint8Array): boolean => ZIP_MAGIC.every((b, i) => bytes[i] === b);

/**
 * A legacy torch.save file: the pickled magic number 0x1950a86a20f9469cfc6c (protocol 2, LONG1),
 * which no valid safetensors file can start with (it reads as a 176 MB header length).
 */
export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  const magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  return magic.every((b, i) => bytes[i] === b);
}

function refuseNonZip(bytes: Uint8Array, source: string): never {
  if (bytes[0] === PICKLE_PROTO) {
    throw new CheckpointError(
      source,
      'a PyTorch checkpoint in the legacy (pre-1.6) format, which matc does not read; re-save it with torch.save in PyTorch >= 1.6 ' +
        '(torch.save(torch.load(old), new) writes the zip format)',
    );
  }
  throw new CheckpointError(source, 'not a PyTorch checkpoint: torch.save (PyTorch >= 1.6) writes a zip archive, and this file is not one');
}

function listEntries(bytes: Uint8Array, source: string): UnzipFileInfo[] {
  const entries: UnzipFileInfo[] = [];
  try {
    unzipSync(bytes, { filter: (info) => (entries.push(info), false) });
  } catch (e) {
    throw new CheckpointError(source, `the zip archive is truncated or corrupt (${(e as Error).message})`);
  }
  return entries;
}

/** The one folder holding data.pkl, after refusing what is not a plain torch.save archive. */
function archivePrefix(entries: readonly UnzipFileInfo[], source: string): string {
  const names = entries.map((e) => e.name);
  if (names.some((n) => /^[^/]+\/(constants\.pkl|code\/)/.test(n))) {
    throw new CheckpointError(
      source,
      'a TorchScript archive (torch.jit.save), which holds code as well as weights; matc reads state_dicts: save one with torch.save(model.state_dict(), path)',
    );
  }
  const pickles = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length === 0) throw new CheckpointError(source, 'a zip archive but not a torch.save checkpoint: it has no data.pkl');
  if (pickles.length > 1) throw new CheckpointError(source, `not a torch.save checkpoint: it has ${pickles.length} data.pkl records (${pickles.join(', ')})`);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new CheckpointError(source, `the zip archive lists ${n} twice`);
    seen.add(n);
  }
  return pickles[0]!.slice(0, -'data.pkl'.length);
}

/** Refuse declared sizes that cannot be true or would inflate past the cap, before inflating anything. */
function checkSizes(wanted: readonly UnzipFileInfo[], fileBytes: number, source: string): void {
  let inflated = 0;
  for (const e of wanted) {
    if (e.compression === 0) {
      if (e.size !== e.originalSize || e.size > fileBytes) throw new CheckpointError(source, `the zip archive is corrupt: record ${e.name} declares ${e.originalSize} bytes in a ${fileBytes}-byte file`);
    } else if (e.compression === 8) {
      if (e.originalSize > e.size * MAX_DEFLATE_RATIO + 1024) throw new CheckpointError(source, `the zip archive is corrupt: record ${e.name} declares ${e.originalSize} bytes from ${e.size} compressed`);
      inflated += e.originalSize;
    } else {
      throw new CheckpointError(source, `record ${e.name} uses zip compression method ${e.compression}, which matc does not read (torch.save stores records uncompressed)`);
    }
  }
  if (inflated > MAX_INFLATED_BYTES) {
    throw new CheckpointError(source, `the compressed records would inflate to ${inflated} bytes, over matc's ${MAX_INFLATED_BYTES}-byte limit (torch.save does not compress; re-save the checkpoint with torch.save)`);
  }
}

/** Extract the named records, each checked to have its declared size. */
function extract(bytes: Uint8Array, wanted: readonly UnzipFileInfo[], source: string): Map<string, Uint8Array> {
  if (wanted.length === 0) return new Map();
  checkSizes(wanted, bytes.length, source);
  const declared = new Map(wanted.map((e) => [e.name, e.originalSize]));
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (info) => declared.has(info.name) });
  } catch (e) {
    throw new CheckpointError(source, `the zip archive is truncated or corrupt (${(e as Error).message})`);
  }
  const out = new Map<string, Uint8Array>();
  for (const [name, size] of declared) {
    const data = Object.hasOwn(files, name) ? files[name]! : undefined;
    if (!data || data.length !== size) throw new CheckpointError(source, `the zip archive is truncated or corrupt: record ${name} should hold ${size} bytes, it holds ${data?.length ?? 0}`);
    out.set(name, data);
  }
  return out;
}

function byteOrder(record: Uint8Array | undefined, source: string): boolean {
  if (record === undefined) return true;
  const order = new TextDecoder().decode(record).trim();
  if (order !== 'little' && order !== 'big') throw new CheckpointError(source, `the archive's byteorder record says ${JSON.stringify(order)}, neither 'little' nor 'big'`);
  return order === 'little';
}

/** Open a torch.save archive held in `bytes`; `source` names it in errors. */
export function openTorchArchive(bytes: Uint8Array, source: string): TorchArchive {
  if (!isZipArchive(bytes)) refuseNonZip(bytes, source);
  const entries = listEntries(bytes, source);
  const prefix = archivePrefix(entries, source);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const head = extract(bytes, [`${prefix}data.pkl`, `${prefix}byteorder`].flatMap((n) => byName.get(n) ?? []), source);
  return {
    prefix,
    pickle: head.get(`${prefix}data.pkl`)!,
    littleEndian: byteOrder(head.get(`${prefix}byteorder`), source),
    storages(keys) {
      const records = [...new Set(keys)].flatMap((key) => byName.get(`${prefix}data/${key}`) ?? []);
      const data = extract(bytes, records, source);
      return new Map([...data].map(([name, d]) => [name.slice(`${prefix}data/`.length), d]));
    },
  };
}
