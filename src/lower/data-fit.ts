/**
 * Whether a loaded split can feed the pipeline. Checked right after loading, so that a file of the
 * wrong image size is reported as a data problem naming the file, not later as a shape mismatch of
 * some graph variable, and an empty set is refused instead of "training" on nothing.
 */
import type { ResolvedPipeline } from '../check/resolved.js';
import { CATALOG, DataError, isDatasetName, type Dataset } from '../data/index.js';

/** Refuses a split whose images are not the size the pipeline's model is built for. */
export function checkImagesFitPipeline(ds: Dataset, p: ResolvedPipeline): void {
  const expected = p.data.inputShape;
  const found = [ds.channels, ds.height, ds.width];
  if (found.join('x') === expected.join('x')) return;
  const file = ds.files?.[0];
  const where = file ? `Dataset file ${file}` : `The ${ds.name} ${ds.split ?? ''} split`;
  throw new DataError(
    `${where} holds ${imageText(found)} images, but pipeline ${p.name} expects ${imageText(expected)} images (${datasetTitle(p.data.dataset)}, the input shape its model ${p.model.binding} is built for). ` +
      'Point matc at the standard files of that dataset, or change the pipeline.',
    file,
  );
}

/** Refuses an empty selection: `setting` (e.g. `data.subset`) chose none of the `full` split's examples. */
export function checkSelectionNotEmpty(chosen: Dataset, full: Dataset, p: ResolvedPipeline, setting: string): void {
  if (chosen.n > 0) return;
  throw new DataError(`Pipeline ${p.name} has no ${full.split ?? ''} examples: ${setting} selects none of the ${full.n} examples of the ${full.name} ${full.split ?? ''} split. Change ${setting} in ${p.file} or with --set.`);
}

/** `32x32 RGB`, `28x28 grey`, or `5 channels of 32x32`. */
function imageText([channels, height, width]: readonly number[]): string {
  const size = `${height}x${width}`;
  return channels === 1 ? `${size} grey` : channels === 3 ? `${size} RGB` : `${channels}-channel ${size}`;
}

function datasetTitle(name: string): string {
  const catalogName = name.replace(/_/g, '-');
  return isDatasetName(catalogName) ? CATALOG[catalogName].title : name;
}
