/**
 * Bad data, bad checkpoints and bad paths get clear messages and exact exit codes (0 ok, 1 the
 * user's problem, 2 a bug in matc), never a stack trace; user strings cannot break the HTML and
 * TypeScript that matc writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { checkFile, type ResolvedPipeline } from '../../src/check/index.js';
import { DataError, loadDataset, locateDataset } from '../../src/data/index.js';
import { loadRunData, locatePipelineSplit, dataSourceLine } from '../../src/lower/data-setup.js';
import { loadModel, stateDictListing, CheckpointError, type CheckpointStore } from '../../src/io/checkpoint.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { hardExamplesPage } from '../../src/analysis/hard-examples-report.js';
import { emitPipelineModule } from '../../codegen/ts/emit-pipeline.js';
import { makeTempDir, writeFile, writeIdxDataset, idxImages, idxLabels } from '../data/fixtures.js';
import { ensureBuilt, runMatc, runNode, STACK_LINE, type Finished } from './spawn-matc.js';

const PIPELINE = 'test/cli/fixtures/tiny.mat'; // fashion_mnist, 1x28x28, first(8), batch 4
const tmp = makeTempDir('matc-abuse-');
afterAll(() => tmp.cleanup());
const at = (...parts: string[]) => join(tmp.dir, ...parts);

function tinyPipeline(): ResolvedPipeline {
  const r = checkFile(PIPELINE);
  if (!r.pipeline) throw new Error('fixture pipeline does not check');
  return r.pipeline;
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

// Data folders: a good one, one with zero examples, one of 32x32 images, one missing a file.
const good = at('good');
const empty = at('empty');
const wrongSize = at('wrong-size');
const partial = at('partial');
writeIdxDataset(good, { n: 8, nTest: 8, h: 28, w: 28, gzip: false });
writeIdxDataset(empty, { n: 0, nTest: 0, h: 28, w: 28, gzip: false });
writeIdxDataset(wrongSize, { n: 8, nTest: 8, h: 32, w: 32, gzip: false });
writeFile(partial, 'train-images-idx3-ubyte', idxImages(8, 28, 28));
writeFile(partial, 't10k-images-idx3-ubyte', idxImages(8, 28, 28));
writeFile(partial, 't10k-labels-idx1-ubyte', idxLabels(8));

describe('bad data', () => {
  it('refuses an IDX file with zero examples, naming the file', () => {
    const err = thrown(() => loadDataset('fashion-mnist', 'train', { path: empty, cache: false }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(join(empty, 'train-images-idx3-ubyte'));
    expect(err.message).toContain('holds no examples');
    expect(err.message).toContain('0x28x28');
  });

  it('reports images of the wrong size as a data error naming the file, its size and what the pipeline expects', () => {
    const err = thrown(() => loadRunData(tinyPipeline(), { dataDir: wrongSize }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`Dataset file ${join(wrongSize, 'train-images-idx3-ubyte')} holds 32x32 grey images`);
    expect(err.message).toContain('pipeline tiny_pgd expects 28x28 grey images');
    expect(err.message).not.toMatch(/batch\d+\/x|variable/); // not the graph's view of the problem
  });

  it('refuses a subset that selects nothing, at the pipeline location (the checker cannot know a copy\'s size)', () => {
    const p = tinyPipeline();
    const none = { ...p, settings: { ...p.settings, data: { ...p.settings.data, subset: { kind: 'range', start: 100, end: 200 } } } } as ResolvedPipeline;
    const err = thrown(() => loadRunData(none, { dataDir: good }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/tiny\.mat:8:3: `range\(100, 200\)` starts past the 8 examples of fashion-mnist/);
  });

  it('does not fall back to another copy when a folder holds only some files of a split', () => {
    const elsewhere = { MATC_DATA_DIR: good };
    const err = thrown(() => locateDataset('fashion-mnist', 'train', { dataDir: partial, env: elsewhere, homeDir: at('home') }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`${partial} has some of the files but lacks train-labels-idx1-ubyte.`);
    // The complete test split in the same folder is still found there.
    expect(locateDataset('fashion-mnist', 'test', { dataDir: partial, env: elsewhere, homeDir: at('home') })).toBe(partial);
  });

  it('the run header says which folder each split came from', () => {
    // A folder with the whole train split and nothing of the test split: test comes from elsewhere.
    const onlyTrain = at('only-train');
    writeFile(onlyTrain, 'train-images-idx3-ubyte', idxImages(8, 28, 28));
    writeFile(onlyTrain, 'train-labels-idx1-ubyte', idxLabels(8));
    const p = tinyPipeline();
    const saved = process.env['MATC_DATA_DIR'];
    process.env['MATC_DATA_DIR'] = good;
    try {
      const folders = { train: locatePipelineSplit(p, 'train', { dataDir: onlyTrain }), test: locatePipelineSplit(p, 'test', { dataDir: onlyTrain }) };
      expect(folders).toEqual({ train: onlyTrain, test: good });
      expect(dataSourceLine(p, folders)).toBe(`data: fashion-mnist train from ${onlyTrain}, test from ${good}`);
      expect(dataSourceLine(p, { train: good, test: good })).toBe(`data: fashion-mnist train and test from ${good}`);
    } finally {
      if (saved === undefined) delete process.env['MATC_DATA_DIR'];
      else process.env['MATC_DATA_DIR'] = saved;
    }
  });
});

/** Records writes, to show that a refused checkpoint leaves the device variables alone. */
class RecordingStore implements CheckpointStore {
  readonly written: string[] = [];
  async read(): Promise<Float32Array> {
    return new Float32Array(0);
  }
  write(name: string): void {
    this.written.push(name);
  }
  has(): boolean {
    return true;
  }
}

/** A model file of the tiny pipeline whose first tensor holds `bad` non-finite values. */
async function nonFiniteCheckpoint(path: string, bad: number[]): Promise<string> {
  const listing = stateDictListing(tinyPipeline().model);
  const tensors = listing.map((e, i) => {
    const data = new Float32Array(e.shape.reduce((a, b) => a * b, 1));
    if (i === 0) data.set(bad);
    return { name: e.name, dtype: 'F32' as const, shape: e.shape, data };
  });
  await writeSafetensors(path, tensors, { format: 'pt' });
  return listing[0]!.name;
}

describe('bad checkpoints', () => {
  it('refuses NaN and infinite weights on load, naming the tensor and the count, before writing anything', async () => {
    const path = at('nan.safetensors');
    const name = await nonFiniteCheckpoint(path, [NaN, 1, Infinity, NaN, -Infinity]);
    const store = new RecordingStore();
    const err = await loadModel(path, tinyPipeline().model, store).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err!.message).toContain(`${name} holds 4 non-finite values (NaN or infinity) of 7840`);
    expect(store.written).toEqual([]);
  });
});

describe('user strings in generated files', () => {
  it('escapes run folder names in the hard-examples page', () => {
    const html = hardExamplesPage([{ a: '<script>alert(1)</script>', b: 'a&b"c', overlap: 0.5, chance: 0.1, spearman: 0.3 }], 0.1, 'The hardest of <b>x</b>', []);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a&amp;b&quot;c');
  });

  it('keeps file and pipeline names with newlines or */ inside the comments and strings of generated code', () => {
    const p = tinyPipeline();
    const hostile = { ...p, file: 'x\nevilInjected1();\r\nevilInjected2();\u2028evilInjected3(); */ evilInjected4(); /*.mat', name: 'tiny */ evilInjected5(); /*' };
    const code = emitPipelineModule(hostile, { outFile: at('gen', 'pipeline.ts') });
    const out = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
    expect(out.diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    const identifiers: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) identifiers.push(node.text);
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile('pipeline.ts', code, ts.ScriptTarget.ES2022, true));
    expect(identifiers.filter((i) => i.startsWith('evilInjected'))).toEqual([]);
    expect(code).toContain('evilInjected1'); // still named, as text
  });
});

describe('exit codes of the built binary', () => {
  beforeAll(() => ensureBuilt());

  const aFile = at('a-file');
  const aDir = at('a-dir.mat');
  const badMat = at('bad.mat');
  const corruptRun = at('corrupt-run');
  writeFileSync(aFile, 'not a folder');
  mkdirSync(aDir, { recursive: true });
  writeFileSync(badMat, `import "models/small_cnn.mat"\npipeline bad {\n  data fashion_mnist { subset: first(100) }\n  model f = small_cnn(classes: 10)\n  minimize trades(f(x), y)\n}\n`);
  mkdirSync(corruptRun, { recursive: true });
  writeFileSync(join(corruptRun, 'metrics.jsonl'), '{"epoch": 1, trunc\n{"epoch": 2}\n'); // a bad line that is not the last (a torn last line is tolerated)
  writeFileSync(at('garbage.safetensors'), 'garbage');
  const out = (name: string) => ['--out', at('runs', name)];

  /** [arguments, exit code, text stderr must hold]. */
  const matrix: [string[], number, string][] = [
    [[], 1, 'usage: matc COMMAND'],
    [['trian'], 1, "unknown command 'trian'"],
    [['check', PIPELINE, '--frobnicate'], 1, "unknown option '--frobnicate'"],
    [['check', badMat], 1, `${badMat}:5:12: error:`],
    [['check', aDir], 1, aDir],
    [['run', 'no/such/file.mat'], 1, 'no/such/file.mat: no such file'],
    [['codegen', PIPELINE, '-o', at('no', 'such', 'dir', 'out.ts')], 1, `cannot open ${at('no', 'such', 'dir', 'out.ts')}: no such file or directory`],
    [['codegen', PIPELINE, '-o', aDir], 1, `cannot open ${aDir}: it is a directory`],
    [['run', PIPELINE, '--data-dir', good, '--out', join(aFile, 'run')], 1, join(aFile, 'run')],
    [['run', PIPELINE, '--data-dir', empty, ...out('empty')], 1, `${join(empty, 'train-images-idx3-ubyte')} holds no examples`],
    [['run', PIPELINE, '--data-dir', wrongSize, ...out('wrong')], 1, 'holds 32x32 grey images, but pipeline tiny_pgd expects 28x28 grey images'],
    [['run', PIPELINE, '--data-dir', partial, ...out('partial')], 1, 'lacks train-labels-idx1-ubyte'],
    [['run', PIPELINE, '--data-dir', good, '--set', 'data.subset=range(100, 200)', ...out('none')], 1, 'tiny.mat:8:3: `range(100, 200)` starts past the 8 examples'],
    [['report', corruptRun], 1, join(corruptRun, 'metrics.jsonl')],
    [['eval', at('missing.safetensors'), '--pipeline', PIPELINE, '--data', good], 1, at('missing.safetensors')],
    [['eval', at('garbage.safetensors'), '--pipeline', PIPELINE, '--data', good], 1, at('garbage.safetensors')],
    [['graph', PIPELINE, '--batch', 'x'], 1, '--batch must be a positive integer'],
    [['run', '--help'], 0, ''],
  ];

  const expectClean = (r: Finished, code: number, text: string, what: string) => {
    expect(r.code, `${what}\n${r.stderr}`).toBe(code);
    expect(r.stderr, what).toContain(text);
    expect(r.stderr, what).not.toMatch(STACK_LINE);
    expect(r.stderr, what).not.toContain('internal error');
  };

  it('exits 1 with a clear message and no stack trace for every kind of user error', () => {
    for (const [args, code, text] of matrix) expectClean(runMatc(args), code, text, `matc ${args.join(' ')}`);
  });

  it('exits 1 for a checkpoint of NaN weights, after saying where the data came from', async () => {
    const path = at('nan-model.safetensors');
    const name = await nonFiniteCheckpoint(path, [NaN, NaN]);
    const r = runMatc(['eval', path, '--pipeline', PIPELINE, '--data', good, '--attacks', 'natural', '--n', '4']);
    expectClean(r, 1, `${path}: ${name} holds 2 non-finite values`, 'matc eval nan');
    expect(r.stderr).toContain(`data: fashion-mnist test from ${good}`);
  });

  it.skipIf(process.getuid?.() === 0)('exits 1 for an unreadable pipeline file (EACCES; skipped as root, who reads anything)', () => {
    const locked = at('locked.mat');
    writeFileSync(locked, '');
    chmodSync(locked, 0o000);
    expectClean(runMatc(['run', locked]), 1, locked, 'matc run locked.mat');
  });

  /** A script that installs the binary's crash handlers, then fails the way `body` says. */
  const crash = (body: string, env: Record<string, string> = {}) => {
    const errors = pathToFileURL('dist/src/util/errors.js').href;
    return runNode(['--input-type=module', '-e', `import { installCrashHandlers } from '${errors}';\ninstallCrashHandlers();\n${body}`], env);
  };

  it('exits 2 for errors that escape every command (unhandled rejections, throws in callbacks), with a stack only under MATC_DEBUG=1', () => {
    const rejection = crash(`Promise.reject(new TypeError('boom'));`);
    expect(rejection.code).toBe(2);
    expect(rejection.stderr).toContain('matc: internal error: boom');
    expect(rejection.stderr).not.toMatch(STACK_LINE);
    const callback = crash(`setTimeout(() => { throw new RangeError('late'); }, 1);`);
    expect(callback.code).toBe(2);
    expect(callback.stderr).toContain('matc: internal error: late');
    expect(callback.stderr).not.toMatch(STACK_LINE);
    expect(crash(`Promise.reject(new TypeError('boom'));`, { MATC_DEBUG: '1' }).stderr).toMatch(STACK_LINE);
  });

  it('maps file-system and zod errors that escape to user errors naming the path or the setting', () => {
    const fs = crash(`Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', syscall: 'open', path: '/some/where.mat' }));`);
    expect(fs.code).toBe(1);
    expect(fs.stderr).toContain('matc: cannot open /some/where.mat: permission denied');
    const zod = crash(`const { z } = await import('zod');\nz.object({ epochs: z.number() }).parse({ epochs: 'many' });`);
    expect(zod.code).toBe(1);
    expect(zod.stderr).toMatch(/matc: invalid settings: epochs: /);
    expect(zod.stderr).not.toMatch(STACK_LINE);
  });
});
