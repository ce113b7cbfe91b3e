#!/usr/bin/env python3
"""Time one PGD-10 adversarial training step of a PreAct ResNet-18 in PyTorch on the CPU.

The peer figure for `npm run bench -- --resnet` (bench/matc/torch-peer.ts runs this when
python3-torch is installed; PyTorch is never a dependency of matc). The step matches the bench's
pipeline (bench/matc/workloads.ts): CIFAR-shaped random data, L-inf 8/255, step 2/255, 10 steps
from a uniform start, cross-entropy, then one SGD step (lr 0.1, momentum 0.9, weight decay 5e-4)
on the adversarial batch, batch norm in train mode throughout. Prints one JSON line.

    /usr/bin/python3 scripts/torch-preact-step.py --batch 8 --width 64 --steps 3
"""
import argparse
import importlib.util
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F


def preact_resnet18(width):
    """The PreAct ResNet-18 whose state dicts load into matc's preact_resnet18 (the interop fixtures' model)."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location('interop_fixtures', os.path.join(here, 'make-interop-fixtures.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PreActResNet18(classes=10, width=width)


def pgd_at_step(model, opt, x, y, eps, alpha, steps):
    delta = torch.empty_like(x).uniform_(-eps, eps)
    delta = (x + delta).clamp(0, 1) - x
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(model(x + delta), y)
        (g,) = torch.autograd.grad(loss, delta)
        delta = (delta.detach() + alpha * g.sign()).clamp(-eps, eps)
        delta = (x + delta).clamp(0, 1) - x
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(x + delta), y).backward()
    opt.step()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--width', type=int, default=64)
    p.add_argument('--steps', type=int, default=3, help='timed training steps (after one warm-up step)')
    p.add_argument('--threads', type=int, default=os.cpu_count(), help='intra-op threads (default: every core, as lavapipe uses)')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = preact_resnet18(a.width).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(a.batch, 3, 32, 32)
    y = torch.randint(0, 10, (a.batch,))
    pgd_at_step(model, opt, x, y, 8 / 255, 2 / 255, 10)  # warm-up
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        pgd_at_step(model, opt, x, y, 8 / 255, 2 / 255, 10)
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({'ms_per_step': statistics.median(times), 'steps': a.steps, 'batch': a.batch, 'width': a.width,
                      'torch': torch.__version__, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
