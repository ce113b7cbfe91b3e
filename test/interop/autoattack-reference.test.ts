/**
 * matc's AutoAttack against the reference implementation (fra31/auto-attack on PyTorch 1.13), on a
 * committed checkpoint: test/fixtures/interop/fmnist_small_cnn.autoattack.json holds the reference's
 * per-example results (made by scripts/make-autoattack-fixture.py). Robust accuracy must stay within
 * 1.5 points of the reference's. APGD-CE runs in `npm test`; the whole cascade (minutes on lavapipe)
 * when MATC_SLOW=1 (`npm run test:slow`). docs/evaluation.md has the larger comparisons.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate, loadDataset, loadModel, type LoadedModel } from '../../src/index.js';
import { sharedTestRuntime } from '../helpers/gpu.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'interop');
interface Reference { arch: string; n: number; eps: number; natural: number[]; apgd_ce: number[]; autoattack: number[] }
const reference = JSON.parse(readFileSync(join(FIXTURES, 'fmnist_small_cnn.autoattack.json'), 'utf8')) as Reference;

let model: LoadedModel | undefined;
afterAll(() => model?.dispose());

async function matcFlags(attack: string): Promise<{ natural: number[]; robust: number[] }> {
  model ??= await loadModel(join(FIXTURES, 'fmnist_small_cnn.pt'), { arch: reference.arch, dataset: 'fashion-mnist', runtime: await sharedTestRuntime() });
  const data = loadDataset('fashion-mnist', { n: reference.n });
  const record = await evaluate(model, data, { attacks: `natural,${attack}`, eps: reference.eps, norm: 'linf', batch: reference.n });
  const robust = Object.values(record.attacks).find((a) => a.id === attack)!;
  expect(robust.complete).toBe(true);
  return { natural: record.attacks['Natural']!.robust, robust: robust.robust };
}

function compare(matc: number[], ref: number[]): { points: number; agreement: number } {
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  return { points: (100 * (sum(matc) - sum(ref))) / ref.length, agreement: matc.filter((v, i) => v === ref[i]).length / ref.length };
}

describe('AutoAttack against fra31/auto-attack', () => {
  it('APGD-CE: within 1.5 points of the reference, example by example nearly the same', { timeout: 900_000 }, async () => {
    const { natural, robust } = await matcFlags('apgd-ce');
    expect(natural).toEqual(reference.natural);
    const c = compare(robust, reference.apgd_ce);
    expect(Math.abs(c.points)).toBeLessThanOrEqual(1.5);
    expect(c.agreement).toBeGreaterThanOrEqual(0.95);
  });

  it.skipIf(!process.env['MATC_SLOW'])('the standard cascade: within 1.5 points of the reference', { timeout: 3_600_000 }, async () => {
    const { robust } = await matcFlags('aa');
    const c = compare(robust, reference.autoattack);
    expect(Math.abs(c.points)).toBeLessThanOrEqual(1.5);
    expect(c.agreement).toBeGreaterThanOrEqual(0.95);
  });
});
