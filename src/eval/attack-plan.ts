/**
 * The attacks `matc eval --attacks` understands, as plans: a label for the tables and a list of
 * stages run as a cascade (each stage attacks only the examples every earlier stage left robust;
 * every plan starts from the naturally correct examples).
 *
 *   natural        clean accuracy
 *   pgdK           PGD-K on cross-entropy, step eps/4, uniform random start (pgdKxR: R restarts)
 *   cwK            PGD-K on the C&W margin loss (kappa 50), step eps/4, uniform random start
 *   apgd-ce        APGD on cross-entropy, 100 iterations, 1 restart
 *   apgd-t         APGD on the targeted DLR loss, 100 iterations, 9 target classes, 1 restart each
 *   fab-t          FAB-T (L-inf or L2), 100 iterations, 9 target classes, 1 restart each
 *   square         Square Attack (L-inf or L2), 5000 queries, p_init 0.8
 *   aa             AutoAttack standard: APGD-CE, APGD-T, FAB-T, Square, under either norm
 * The plans do not depend on the norm: each stage runs in the threat model's norm (stages.ts).
 */
export type Stage =
  | { kind: 'natural' }
  | { kind: 'pgd'; steps: number; restarts: number; loss: 'ce' | 'cw' }
  | { kind: 'apgd-ce'; iterations: number }
  | { kind: 'apgd-t'; iterations: number; targets: number }
  | { kind: 'fab-t'; iterations: number; targets: number }
  | { kind: 'square'; queries: number };

export interface AttackPlan {
  /** What the user wrote, e.g. `pgd10`. */
  id: string;
  /** Table and JSON label, e.g. `PGD-10`. */
  label: string;
  stages: Stage[];
  /** Why the plan is not the attack it is named after (e.g. a stage missing), if it is not; no plan here is. */
  reduced?: string;
}

export const APGD_ITERATIONS = 100;
export const APGD_T_TARGETS = 9;
export const FAB_ITERATIONS = 100;
export const FAB_T_TARGETS = 9;
export const SQUARE_QUERIES = 5000;
export const CW_KAPPA = 50;
/** The label of the full standard cascade. */
export const AUTOATTACK_LABEL = 'AutoAttack';

export class AttackPlanError extends Error {}

export function stageName(s: Stage): string {
  switch (s.kind) {
    case 'natural':
      return 'natural';
    case 'pgd':
      return `${s.loss === 'ce' ? 'pgd' : 'cw'}${s.steps}${s.restarts > 1 ? `x${s.restarts}` : ''}`;
    default:
      return s.kind;
  }
}

/**
 * The AutoAttack standard cascade (`version='standard'`): the same four stages and settings under
 * L-inf and L2, as fra31/auto-attack's set_version gives both norms.
 */
export function autoAttackStages(): Stage[] {
  return [
    { kind: 'apgd-ce', iterations: APGD_ITERATIONS },
    { kind: 'apgd-t', iterations: APGD_ITERATIONS, targets: APGD_T_TARGETS },
    { kind: 'fab-t', iterations: FAB_ITERATIONS, targets: FAB_T_TARGETS },
    { kind: 'square', queries: SQUARE_QUERIES },
  ];
}

export function parseAttack(id: string): AttackPlan {
  const name = id.trim().toLowerCase();
  const pgd = /^(pgd|cw)(\d+)(?:x(\d+))?$/.exec(name);
  if (pgd) {
    const steps = Number(pgd[2]);
    const restarts = Number(pgd[3] ?? 1);
    if (steps < 1 || restarts < 1) throw new AttackPlanError(`${id}: steps and restarts must be positive`);
    const loss = pgd[1] === 'pgd' ? 'ce' : 'cw';
    const label = `${loss === 'ce' ? 'PGD' : 'C&W'}-${steps}${restarts > 1 ? `x${restarts}` : ''}`;
    return { id: name, label, stages: [{ kind: 'pgd', steps, restarts, loss }] };
  }
  switch (name) {
    case 'natural':
      return { id: name, label: 'Natural', stages: [] };
    case 'apgd-ce':
      return { id: name, label: 'APGD-CE', stages: [{ kind: 'apgd-ce', iterations: APGD_ITERATIONS }] };
    case 'apgd-t':
      return { id: name, label: 'APGD-T', stages: [{ kind: 'apgd-t', iterations: APGD_ITERATIONS, targets: APGD_T_TARGETS }] };
    case 'square':
      return { id: name, label: 'Square', stages: [{ kind: 'square', queries: SQUARE_QUERIES }] };
    case 'fab-t':
      return { id: name, label: 'FAB-T', stages: [{ kind: 'fab-t', iterations: FAB_ITERATIONS, targets: FAB_T_TARGETS }] };
    case 'aa':
    case 'autoattack':
      return { id: 'aa', label: AUTOATTACK_LABEL, stages: autoAttackStages() };
    default:
      throw new AttackPlanError(`unknown attack '${id}' (natural, pgdK, pgdKxR, cwK, apgd-ce, apgd-t, fab-t, square, aa)`);
  }
}

export function parseAttackList(list: string): AttackPlan[] {
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (!ids.length) throw new AttackPlanError('no attacks given');
  const plans = ids.map((id) => parseAttack(id));
  const seen = new Set<string>();
  for (const p of plans) {
    if (seen.has(p.label)) throw new AttackPlanError(`attack '${p.id}' given twice`);
    seen.add(p.label);
  }
  return plans;
}
