/** The examples `matc eval` attacks: the pipeline's test split, its test subset or the first n. */
import type { ResolvedPipeline } from '../check/index.js';
import { loadDataset, subset } from '../data/index.js';
import { applySubset, catalogName } from '../train/data-setup.js';
import type { EvalData } from './evaluate.js';

export function loadEvalData(p: ResolvedPipeline, opts: { dataDir?: string; n?: number }): EvalData & { name: string } {
  const d = p.settings.data;
  const full = loadDataset(catalogName(d.dataset), 'test', { path: d.path || undefined, dataDir: opts.dataDir });
  const ds = opts.n !== undefined ? subset(full, { first: Math.min(opts.n, full.n) }) : applySubset(full, d.test_subset);
  return { name: ds.name, images: ds.images, labels: ds.labels, indices: ds.indices, n: ds.n, inputShape: [ds.channels, ds.height, ds.width], classes: ds.classes };
}
