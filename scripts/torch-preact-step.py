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
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = F.relu(self.bn1(x))
        skip = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + skip


class PreActResNet18(nn.Module):
    def __init__(self, width=64, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        layers, cin = [], width
        for i, stride in enumerate([1, 2, 2, 2]):
            cout = width * 2 ** i
            layers += [PreActBlock(cin, cout, stride), PreActBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(cin)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        out = F.relu(self.bn(self.layers(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


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
    a = p.parse_args()
    torch.manual_seed(0)
    model = PreActResNet18(a.width).train()
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
