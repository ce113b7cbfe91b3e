/**
 * Sweep grids: `--grid key=v1,v2,...` axes expanded into every combination of `--set` overrides.
 * Values use the language's value syntax, so a value may itself hold commas inside parentheses or
 * brackets (`train.optimizer=sgd(lr: 0.1, momentum: 0.9),adam(lr: 0.001)`): only top-level commas
 * separate values.
 */

export interface GridAxis {
  key: string;
  values: string[];
}

/** One run of a sweep: the pipeline file and the overrides that distinguish it. */
export interface SweepPoint {
  /** Directory name inside the sweep's output directory (unique within the sweep). */
  name: string;
  file: string;
  /** The grid's overrides only, in axis order (key=value). */
  gridOverrides: string[];
  /** The sweep-wide `--set` overrides followed by the grid's (a grid value wins over a --set of the same key). */
  overrides: string[];
}

export class GridError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GridError';
  }
}

/** Split at commas that are not inside (), [] or {}. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** Parse one `--grid key=v1,v2,...` flag. */
export function parseGridAxis(flag: string): GridAxis {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new GridError(`--grid '${flag}' is not of the form key=v1,v2,...`);
  const key = flag.slice(0, eq).trim();
  const values = splitTopLevel(flag.slice(eq + 1));
  if (values.some((v) => v === '')) throw new GridError(`--grid ${key}: empty value in '${flag.slice(eq + 1)}'`);
  if (new Set(values).size !== values.length) throw new GridError(`--grid ${key}: a value is listed twice`);
  return { key, values };
}

export function parseGrid(flags: readonly string[]): GridAxis[] {
  const axes = flags.map(parseGridAxis);
  const keys = axes.map((a) => a.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new GridError(`--grid ${dup} is given twice; list all its values in one --grid`);
  return axes;
}

/** A value as a directory-name fragment: letters, digits, '.', '-' and '_' only. */
export function slug(value: string): string {
  return value.replace(/\s+/g, '').replace(/[^A-Za-z0-9._=-]+/g, '_').replace(/^_+|_+$/g, '') || 'x';
}

function stem(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.mat$/, '');
}

/**
 * Every combination of the axes for every file, the last axis varying fastest. A run's name is the
 * file's stem plus `__key=value` per axis (`rl_pgd_cnn__data.label_noise=0.2`).
 */
export function expandGrid(files: readonly string[], axes: readonly GridAxis[], baseOverrides: readonly string[] = []): SweepPoint[] {
  if (files.length === 0) throw new GridError('sweep: name at least one pipeline FILE');
  let combos: string[][] = [[]];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => [...c, `${axis.key}=${v}`]));
  const stems = files.map(stem);
  const points: SweepPoint[] = [];
  files.forEach((file, fi) => {
    // Two files with one stem (a/x.mat, b/x.mat) keep distinct names through their index.
    const prefix = stems.indexOf(stems[fi]!) === fi ? stems[fi]! : `${stems[fi]}-${fi}`;
    for (const grid of combos) {
      const name = [prefix, ...grid.map((o) => slug(o))].join('__');
      points.push({ name, file, gridOverrides: grid, overrides: [...baseOverrides, ...grid] });
    }
  });
  return points;
}
