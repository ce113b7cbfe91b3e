/**
 * The PyTorch CPU figure beside matc's PreAct ResNet-18 PGD-10 step: runs
 * scripts/torch-preact-step.py with Debian's python3-torch when it is installed (PyTorch is never
 * a dependency of matc; without it the bench says so and goes on).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface TorchStep {
  msPerStep: number;
  torch: string;
  threads: number;
}

/** Python interpreters to try: Debian's (where apt puts python3-torch) first, then PATH's. */
const PYTHONS = ['/usr/bin/python3', 'python3'];

export function torchPreactStep(batch: number, width: number, steps = 3): TorchStep | string {
  const script = join(process.cwd(), 'scripts', 'torch-preact-step.py');
  let reason = 'no python3 found';
  for (const python of PYTHONS) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.error) continue;
    if (probe.status !== 0) {
      reason = `${python} has no torch (apt install python3-torch)`;
      continue;
    }
    const run = spawnSync(python, [script, '--batch', String(batch), '--width', String(width), '--steps', String(steps)], { encoding: 'utf8', timeout: 1_800_000 });
    if (run.status !== 0) return `${script} failed: ${(run.stderr || String(run.error ?? '')).trim().split('\n').pop()}`;
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { ms_per_step: number; torch: string; threads: number };
    return { msPerStep: out.ms_per_step, torch: out.torch, threads: out.threads };
  }
  return reason;
}
