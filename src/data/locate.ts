/**
 * Finding the folder that holds a dataset split. Places are tried in this order, and the first
 * folder holding every file of the split wins:
 *   1. an explicit path (from the pipeline); when given, nothing else is tried
 *   2. the --data-dir option
 *   3. $MATC_DATA_DIR
 *   4. folders a system package installs into (Debian's /usr/share/datasets/fashion-mnist)
 *   5. ~/.matc/data
 * Within a data directory D, the catalog's folder names are tried (D/cifar10,
 * D/cifar-10-batches-bin, ...) and then D itself. A dataset with several layouts (CIFAR's binary
 * and python versions) has every folder of its preferred layout tried first, then the next one's
 * (D/cifar-10-batches-py, ...), each folder holding ALL the files of the split in that layout.
 * A folder holding some but not all files of the split (in one layout) stops the search with an
 * error naming the missing files: falling through to another copy (say the system one) would
 * silently train on data the user did not point at.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CATALOG, layoutsOf, type DatasetFormat, type DatasetName, type Split } from './catalog.js';
import { DataError } from './errors.js';
import { isDirectory, isFile } from './files.js';

export const DATA_DIR_ENV = 'MATC_DATA_DIR';

export interface LocateOptions {
  /** Explicit folder (e.g. from the pipeline). When set, only this folder and its usual subfolders are searched. */
  readonly path?: string;
  /** The --data-dir option. */
  readonly dataDir?: string;
  /** Environment to read MATC_DATA_DIR from; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Home directory for ~/.matc/data; defaults to os.homedir(). */
  readonly homeDir?: string;
}

interface Place {
  /** A data directory or an explicit dataset folder. */
  readonly dir: string;
  /** Whether the catalog's subfolder names are tried inside it. */
  readonly subfolders: boolean;
}

/** A folder holding a whole split, and the format its files are in. */
export interface LocatedSplit {
  readonly dir: string;
  readonly format: DatasetFormat;
}

/** The folder holding `split` of dataset `name`, or a DataError saying where it looked and what it wanted. */
export function locateDataset(name: DatasetName, split: Split, options: LocateOptions = {}): string {
  return locateSplit(name, split, options).dir;
}

/** Like locateDataset, also saying which of the dataset's layouts the folder holds. */
export function locateSplit(name: DatasetName, split: Split, options: LocateOptions = {}): LocatedSplit {
  const searched: string[] = [];
  for (const place of placesToSearch(name, options)) {
    for (const layout of layoutsOf(CATALOG[name])) {
      for (const dir of foldersIn(layout.folders, place)) {
        if (!searched.includes(dir)) searched.push(dir);
        const wanted = layout.files[split];
        const missing = missingFiles(dir, wanted);
        if (missing.length === 0) return { dir, format: layout.format };
        if (missing.length < wanted.length) throw partialCopy(name, split, dir, missing);
      }
    }
  }
  throw notFound(name, split, searched, options);
}

function placesToSearch(name: DatasetName, options: LocateOptions): Place[] {
  if (options.path !== undefined) return [{ dir: resolve(options.path), subfolders: true }];
  const places: Place[] = [];
  if (options.dataDir) places.push({ dir: resolve(options.dataDir), subfolders: true });
  const envDir = (options.env ?? process.env)[DATA_DIR_ENV];
  if (envDir) places.push({ dir: resolve(envDir), subfolders: true });
  for (const dir of CATALOG[name].systemDirs) places.push({ dir, subfolders: false });
  places.push({ dir: join(options.homeDir ?? homedir(), '.matc', 'data'), subfolders: true });
  return places;
}

function foldersIn(folders: readonly string[], place: Place): string[] {
  const subfolders = place.subfolders ? folders.map((f) => join(place.dir, f)) : [];
  return [...subfolders, place.dir];
}

/** The required files (each named by its first choice) that `dir` lacks. */
function missingFiles(dir: string, files: readonly (readonly string[])[]): string[] {
  return files.filter((choices) => !choices.some((file) => isFile(join(dir, file)))).map((choices) => choices[0]!);
}

function partialCopy(name: DatasetName, split: Split, dir: string, missing: readonly string[]): DataError {
  const entry = CATALOG[name];
  return new DataError(
    `${entry.title} ${split} split: ${dir} has some of the files but lacks ${missing.join(', ')}. ` +
      `Put the missing file${missing.length === 1 ? '' : 's'} there (expected ${entry.expected}); matc does not mix a partial copy with another one.`,
    dir,
  );
}

function notFound(name: DatasetName, split: Split, searched: string[], options: LocateOptions): DataError {
  const entry = CATALOG[name];
  const where =
    options.path !== undefined
      ? `in ${resolve(options.path)}`
      : `(looked in ${searched.join(', ')})`;
  const lines = [`${entry.title} ${split} split not found ${where}: expected ${entry.expected}.`];
  lines.push(...wrongFormNotes(name, searched));
  lines.push(
    options.path !== undefined
      ? 'Fix the dataset path in the pipeline, or put the files there.'
      : `Point matc at your copy with --data-dir DIR or ${DATA_DIR_ENV}=DIR (the files may sit in DIR or in DIR/${name}).`,
  );
  return new DataError(lines.join('\n'), options.path ?? searched[0]);
}

/** Recognisable but unusable forms of the dataset (an unextracted archive, the python pickles). */
function wrongFormNotes(name: DatasetName, searched: string[]): string[] {
  const notes: string[] = [];
  for (const dir of searched) {
    for (const form of CATALOG[name].wrongForms) {
      const path = join(dir, form.name);
      if (isFile(path) || isDirectory(path)) notes.push(`Found ${path}: ${form.hint}.`);
    }
  }
  return notes;
}
