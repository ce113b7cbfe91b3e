import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
  type TensorToWrite,
} from '../../src/io/safetensors.js';
import { writeBytesAtomic, writeFileAtomic } from '../../src/io/atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'matc-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file from a header object and a data buffer, for building corrupt files by hand. */
function fileFrom(header: unknown, data: Uint8Array, headerLength?: bigint): Uint8Array {
  let json = JSON.stringify(header);
  while (json.length % 8 !== 0) json += ' ';
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(Buffer.from(json), 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectCorrupt(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    decodeSafetensors(bytes, 'bad.safetensors');
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  expect((caught as CheckpointError).path).toBe('bad.safetensors');
  expect((caught as Error).message).toMatch(/^bad\.safetensors: /);
  expect((caught as Error).message).toMatch(pattern);
}

describe('safetensors writer', () => {
  it('writes the exact bytes of the format for a small file (checked by hand against the spec)', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'a', dtype: 'F32', shape: [2], data: [1, -2] },
        { name: 'n', dtype: 'I64', shape: [], data: new Float32Array([7]) },
      ],
      { format: 'pt' },
    );
    // 8-byte items first (the reference implementation's order keeps every tensor aligned), then by name.
    const json = '{"__metadata__":{"format":"pt"},"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
    expect(json.length).toBe(138); // padded with 6 spaces to 144 = 0x90
    const expected = [
      0x90, 0, 0, 0, 0, 0, 0, 0,
      ...Buffer.from(json + '      '),
      7, 0, 0, 0, 0, 0, 0, 0, // int64 7
      0x00, 0x00, 0x80, 0x3f, // float32 1.0 = 0x3f800000, little-endian
      0x00, 0x00, 0x00, 0xc0, // float32 -2.0 = 0xc0000000
    ];
    expect([...bytes]).toEqual(expected);
    expect(bytes.length).toBe(168);
  });

  it('pads the header with spaces to a multiple of 8 and omits empty metadata', () => {
    const bytes = encodeSafetensors([{ name: 'x', dtype: 'U32', shape: [1], data: [5] }]);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = Buffer.from(bytes.subarray(8, 8 + n)).toString();
    expect(header.trimEnd()).toBe('{"x":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}}');
    expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
  });

  it('keeps integer-like names in file order (no JavaScript object key reordering)', () => {
    const bytes = encodeSafetensors([
      { name: 'b', dtype: 'F32', shape: [1], data: [1] },
      { name: '0', dtype: 'F32', shape: [1], data: [2] },
      { name: '10', dtype: 'F32', shape: [1], data: [3] },
    ]);
    const header = Buffer.from(bytes.subarray(8)).toString();
    expect(header.indexOf('"0"')).toBeLessThan(header.indexOf('"10"'));
    expect(header.indexOf('"10"')).toBeLessThan(header.indexOf('"b"'));
    const back = decodeSafetensors(bytes, 'x');
    expect([...back.tensors.get('10')!.data]).toEqual([3]);
  });

  it('refuses values it cannot represent, duplicate names and shape mismatches', () => {
    expect(() => encodeSafetensors([{ name: 'c', dtype: 'I64', shape: [], data: [1.5] }])).toThrow(/not an integer/);
    expect(() => encodeSafetensors([{ name: 'c', dtype: 'U32', shape: [1], data: [-1] }])).toThrow(/not an integer in range/);
    expect(() => encodeSafetensors([{ name: 'c', dtype: 'F32', shape: [2, 2], data: [1, 2, 3] }])).toThrow(/3 values for shape \[2, 2\]/);
    expect(() => encodeSafetensors([{ name: 'c', dtype: 'F32', shape: [1], data: [1] }, { name: 'c', dtype: 'F32', shape: [1], data: [1] }])).toThrow(/twice/);
    expect(() => encodeSafetensors([{ name: '__metadata__', dtype: 'F32', shape: [1], data: [1] }])).toThrow(/cannot be a tensor name/);
  });
});

describe('safetensors round trip', () => {
  const tensors: TensorToWrite[] = [
    { name: 'conv.weight', dtype: 'F32', shape: [2, 1, 2, 2], data: Float32Array.from([0.5, -1.25, 3e-8, 1e30, -0, 7, Math.PI, -2.5]) },
    { name: 'scalar.f32', dtype: 'F32', shape: [], data: [0.125] },
    { name: 'bn.num_batches_tracked', dtype: 'I64', shape: [], data: new Float32Array([391]) },
    { name: 'counts', dtype: 'I64', shape: [3], data: [-(2 ** 40), 0, 2 ** 53 - 1] },
    { name: 'f64', dtype: 'F64', shape: [2], data: [1 / 3, -1e300] },
    { name: 'i32', dtype: 'I32', shape: [2, 2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, -7]) },
    { name: 'u32', dtype: 'U32', shape: [3], data: Uint32Array.from([0, 2 ** 32 - 1, 12345]) },
    { name: 'empty', dtype: 'F32', shape: [0, 4], data: [] },
    { name: 'scalar.u32', dtype: 'U32', shape: [], data: [9] },
  ];

  it('reads back every dtype, including scalars of shape [] and empty tensors', async () => {
    const path = join(dir, 'all.safetensors');
    await writeSafetensors(path, tensors, { format: 'pt', note: 'héllo "quoted"' });
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ format: 'pt', note: 'héllo "quoted"' });
    expect([...back.tensors.keys()].sort()).toEqual(tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      const got = back.tensors.get(t.name)!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      const want = t.dtype === 'F32' ? [...Float32Array.from(t.data)] : [...Array.from(t.data)];
      expect([...got.data]).toEqual(want);
    }
    expect(back.tensors.get('bn.num_batches_tracked')!.data).toBeInstanceOf(Float64Array);
    expect(back.tensors.get('i32')!.data).toBeInstanceOf(Int32Array);
    expect(back.tensors.get('u32')!.data).toBeInstanceOf(Uint32Array);
    expect(back.tensors.get('conv.weight')!.data).toBeInstanceOf(Float32Array);
  });

  it('aligns every tensor to its item size', () => {
    const bytes = encodeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString()) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    for (const entry of Object.values(header)) {
      expect(entry.data_offsets[0] % (entry.dtype === 'F64' || entry.dtype === 'I64' ? 8 : 4)).toBe(0);
    }
  });

  it('reads files whose tensors are unaligned (another writer may lay them out so)', () => {
    // A U32 at offset 0 and an I64 at offset 4: valid, though not what matc writes.
    const data = new Uint8Array(12);
    new DataView(data.buffer).setUint32(0, 42, true);
    new DataView(data.buffer).setBigInt64(4, -5n, true);
    const bytes = fileFrom({ u: { dtype: 'U32', shape: [], data_offsets: [0, 4] }, i: { dtype: 'I64', shape: [1], data_offsets: [4, 12] } }, data);
    const back = decodeSafetensors(bytes, 'x');
    expect([...back.tensors.get('u')!.data]).toEqual([42]);
    expect([...back.tensors.get('i')!.data]).toEqual([-5]);
  });
});

describe('safetensors reader rejects corrupt files with CheckpointError', () => {
  const good = encodeSafetensors([
    { name: 'w', dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
    { name: 'b', dtype: 'F32', shape: [2], data: [7, 8] },
  ]);

  it('a missing file', async () => {
    await expect(readSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(CheckpointError);
    await expect(readSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(/nope\.safetensors: no such file/);
  });

  it('fewer than 8 bytes', () => expectCorrupt(new Uint8Array(5), /fewer than the 8/));

  it('truncated data', () => expectCorrupt(good.subarray(0, good.length - 3), /ends at byte 32 of the data, but the file holds 29 bytes of data; the file is truncated/));

  it('a truncated header', () => expectCorrupt(good.subarray(0, 40), /header length \d+ runs past the end of the file \(40 bytes\)/));

  it('a header length that is absurd', () => {
    const bytes = new Uint8Array(good);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
    expectCorrupt(bytes, /over the 100000000-byte limit/);
  });

  it('a header length that cuts the JSON', () => {
    const bytes = new Uint8Array(good);
    const n = new DataView(bytes.buffer).getBigUint64(0, true);
    new DataView(bytes.buffer).setBigUint64(0, n - 16n, true);
    expectCorrupt(bytes, /header is not JSON/);
  });

  it('a header that is JSON but not an object', () => expectCorrupt(fileFrom([1, 2], new Uint8Array()), /not a JSON object/));

  it('overlapping offsets', () => {
    const header = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expectCorrupt(fileFrom(header, new Uint8Array(12)), /tensors a \[0, 8\] and b \[4, 12\] overlap/);
  });

  it('gaps and trailing bytes', () => {
    expectCorrupt(fileFrom({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /bytes 0 to 4 of the data belong to no tensor/);
    expectCorrupt(fileFrom({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /4 bytes after the last tensor/);
  });

  it('a byte size that does not match dtype and shape', () => {
    expectCorrupt(fileFrom({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /hold 8 bytes, but F32 of shape \[3\] needs 12/);
    expectCorrupt(fileFrom({ a: { dtype: 'I64', shape: [], data_offsets: [0, 4] } }, new Uint8Array(4)), /hold 4 bytes, but I64 of shape \[\] needs 8/);
  });

  it('unknown or unsupported dtypes, bad shapes and offsets, bad metadata', () => {
    expectCorrupt(fileFrom({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /unknown dtype "Q7"/);
    expectCorrupt(fileFrom({ a: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /dtype BF16, which matc does not read/);
    expectCorrupt(fileFrom({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape \[-1\]/);
    expectCorrupt(fileFrom({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(4)), /invalid data_offsets \[0\]/);
    expectCorrupt(fileFrom({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)), /end before they begin/);
    expectCorrupt(fileFrom({ __metadata__: { epoch: 3 } }, new Uint8Array()), /__metadata__ value of 'epoch' is not a string/);
  });

  it('an I64 beyond what a Number holds exactly', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, 2n ** 60n, true);
    expectCorrupt(fileFrom({ big: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, data), /too large to read exactly/);
  });
});

describe('atomic writes', () => {
  const leftovers = (d: string) => readdirSync(d).filter((f) => f.includes('.tmp-'));

  it('replaces the file completely and leaves no temporary file', async () => {
    const path = join(dir, 'atomic.txt');
    writeFileSync(path, 'old contents');
    await writeBytesAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(leftovers(dir)).toEqual([]);
  });

  it('leaves the old file intact and removes the temporary file when the writer fails midway', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [2], data: [1, 2] }]);
    const before = readFileSync(path);
    let chunks = 0;
    const failing = writeFileAtomic(path, async (sink) => {
      await sink.write(new Uint8Array(1000).fill(1));
      chunks++;
      throw new Error('disk on fire');
    });
    await expect(failing).rejects.toThrow('disk on fire');
    expect(chunks).toBe(1);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(leftovers(dir)).toEqual([]);
  });

  it('a failing tensor encoding midway through a safetensors write leaves the old checkpoint', async () => {
    const path = join(dir, 'resume.safetensors');
    await writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [1], data: [1] }]);
    const before = readFileSync(path);
    // The header is valid; the second tensor (in file order) fails while being encoded.
    const tensors: TensorToWrite[] = [
      { name: 'a', dtype: 'F32', shape: [1000], data: new Float32Array(1000) },
      { name: 'z', dtype: 'I32', shape: [1], data: [0.5] },
    ];
    await expect(writeSafetensors(path, tensors)).rejects.toThrow(/not an integer/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(leftovers(dir)).toEqual([]);
  });

  it('fails cleanly when the directory does not exist', async () => {
    await expect(writeBytesAtomic(join(dir, 'missing', 'x.bin'), 'x')).rejects.toThrow(/ENOENT/);
  });
});
