/**
 * Evaluation blocks: label each attack (`pgd`, `pgd_2`, ...), fill `ball` and `step` from the
 * pipeline's first training attack, and check that `select` names one of the labels.
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import type { ResolvedAttack, ResolvedEvaluation } from './resolved.js';
import { evaluateName } from './settings-source.js';
import type { PipelineSettings } from './settings.js';
import { didYouMean } from './suggest.js';

export function resolveEvaluations(settings: PipelineSettings, attacks: readonly ResolvedAttack[], members: readonly A.PipelineMember[], pipeline: A.PipelineDefinition, diagnostics: Diagnostic[]): ResolvedEvaluation[] {
  const inherited = attacks[0];
  // A declared training attack that failed to check was reported already: do not cascade.
  const attackFailed = !inherited && members.some((m) => m.kind === 'AttackDeclaration');
  const out: ResolvedEvaluation[] = [];
  for (const [name, evaluation] of Object.entries(settings.evaluate)) {
    const decl = members.find((m): m is A.EvaluateDeclaration => m.kind === 'EvaluateDeclaration' && evaluateName(m) === name);
    const settingSpan = (key: string): Span => decl?.settings.settings.find((s) => s.key.text === key)?.value.span ?? decl?.span ?? pipeline.name.span;
    const counts = new Map<string, number>();
    const resolved = evaluation.attacks.map((attack) => {
      const seen = (counts.get(attack.kind) ?? 0) + 1;
      counts.set(attack.kind, seen);
      const label = seen === 1 ? attack.kind : `${attack.kind}_${seen}`;
      if (attack.kind === 'natural') return { label, settings: attack };
      const ball = attack.ball ? { norm: attack.ball.kind, eps: attack.ball.eps } : inherited?.ball;
      if (!ball && !attackFailed) diagnostics.push(diagnostic('evaluationNeedsBall', settingSpan('attacks'), { attack: attack.kind }, 'e.g. `pgd(steps: 10, ball: linf(8/255), step: 2/255)`'));
      if ((attack.kind === 'pgd' || attack.kind === 'cw') && attack.step === undefined && !inherited && !attackFailed) {
        diagnostics.push(diagnostic('evaluationNeedsStep', settingSpan('attacks'), { attack: attack.kind }));
      }
      const settingsWithStep = (attack.kind === 'pgd' || attack.kind === 'cw') && attack.step === undefined && inherited ? { ...attack, step: inherited.step } : attack;
      return ball ? { label, settings: settingsWithStep, ball } : { label, settings: settingsWithStep };
    });
    if (evaluation.select !== undefined && !resolved.some((a) => a.label === evaluation.select)) {
      diagnostics.push(diagnostic('selectNotAttack', settingSpan('select'), { name: evaluation.select }, didYouMean(evaluation.select, resolved.map((a) => a.label)) ?? `its attacks are ${resolved.map((a) => `\`${a.label}\``).join(', ')}`));
    }
    out.push({ name, settings: evaluation, attacks: resolved });
  }
  return out;
}
