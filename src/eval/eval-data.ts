/** The examples `matc eval` attacks: the pipeline's test split, its test subset or the first n. */
import type { ResolvedPipeline } from '../check/index.js';
import { subset } from '../data/index.js';
import { checkSelectionNotEmpty } from '../lower/data-fit.js';
import { applySubset, loadPipelineSplit } from '../lower/data-setup.js';
import type { EvalData } from './evaluate.js';

export function loadEvalData(p: ResolvedPipeline, opts: { dataDir?: string; n?: number }): EvalData & { name: string } {
  const d = p.settings.data;
  const full = loadPipelineSplit(p, 'test', { dataDir: opts.dataDir });
  const ds = opts.n !== undefined ? subset(full, { first: Math.min(opts.n, full.n) }) : applySubset(full, d.test_subset);
  checkSelectionNotEmpty(ds, full, p, 'data.test_subset'); // --n is positive and the split is not empty
  return { name: ds.name, images: ds.images, labels: ds.labels, indices: ds.indices, n: ds.n, inputShape: [ds.channels, ds.height, ds.width], classes: ds.classes };
}
