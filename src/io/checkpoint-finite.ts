/**
 * Refuses checkpoint tensors holding NaN or infinities, such as the weights of a run that diverged.
 * Loading them would "evaluate" a model whose outputs are all NaN, at chance-like accuracy and with
 * a warning about the data, instead of saying that the file is unusable.
 */
import { CheckpointError, type SafetensorsContents } from './safetensors.js';

/** Tensors named in one error; the rest are counted. */
const MAX_TENSORS_SHOWN = 8;

/** Checks the float tensors `names` of `contents` (the ones a load is about to write). */
export function assertFiniteTensors(path: string, contents: SafetensorsContents, names: Iterable<string>): void {
  const problems: string[] = [];
  for (const name of names) {
    const t = contents.tensors.get(name);
    if (!t || (t.dtype !== 'F32' && t.dtype !== 'F64')) continue;
    const bad = nonFiniteCount(t.data as Float32Array | Float64Array);
    if (bad > 0) problems.push(`${name} holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or infinity) of ${t.data.length}`);
  }
  if (problems.length === 0) return;
  const more = problems.length > MAX_TENSORS_SHOWN ? `; and ${problems.length - MAX_TENSORS_SHOWN} more tensors` : '';
  throw new CheckpointError(
    path,
    `${problems.slice(0, MAX_TENSORS_SHOWN).join('; ')}${more}. These weights are unusable (a run that diverged saves NaN); use an earlier checkpoint, or retrain with a smaller learning rate.`,
  );
}

/** Values that are not finite once stored as f32 on the device (an f64 beyond f32's range becomes infinite). */
function nonFiniteCount(data: Float32Array | Float64Array): number {
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(Math.fround(data[i]!))) bad++;
  return bad;
}
