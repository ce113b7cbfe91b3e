#!/usr/bin/env python3
"""A trained, CIFAR-shaped PreAct ResNet-18 for scripts/compare-autoattack.py, made with PyTorch.

CIFAR-10 cannot be downloaded on matc's build machines, so this script makes CIFAR-shaped data from
Debian's Fashion-MNIST: each 28x28 image padded to 32x32 and repeated over 3 channels, written in the
CIFAR-10 binary format (cifar-10-batches-bin/, the format matc and the comparison script both read).
It then trains RobustBench's PreActResNet-18 layout at a reduced width with PGD-AT (L-inf eps 8/255)
for a few epochs on CPU and saves it with torch.save, as a researcher's checkpoint would be.

    /usr/bin/python3 scripts/train-cifar-shaped-preact.py --out /tmp/preact --width 8
    -> /tmp/preact/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin, /tmp/preact/preact_w8.pt
"""
import argparse
import importlib.util
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('fixtures', os.path.join(HERE, 'make-interop-fixtures.py'))
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)


def cifar_shaped(split, n):
    x, y = fixtures.fmnist(split, n)
    x = F.pad(x, (2, 2, 2, 2)).repeat(1, 3, 1, 1)
    return x, y


def write_cifar_bin(path, x, y):
    pixels = np.round(x.numpy() * 255).astype(np.uint8).reshape(len(x), 3072)
    records = np.concatenate([y.numpy().astype(np.uint8)[:, None], pixels], axis=1)
    records.tofile(path)


def pgd(model, x, y, eps, alpha, steps):
    delta = (torch.rand_like(x) * 2 - 1) * eps
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(model((x + delta).clamp(0, 1)), y)
        grad, = torch.autograd.grad(loss, delta)
        delta = (delta.detach() + alpha * grad.sign()).clamp(-eps, eps)
    return (x + delta).clamp(0, 1).detach()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    parser.add_argument('--width', type=int, default=8)
    parser.add_argument('--train', type=int, default=10000)
    parser.add_argument('--epochs', type=int, default=5)
    args = parser.parse_args()
    data = os.path.join(args.out, 'cifar-10-batches-bin')
    os.makedirs(data, exist_ok=True)
    torch.manual_seed(0)
    x, y = cifar_shaped('train', args.train)
    tx, ty = cifar_shaped('test', 10000)
    # matc looks for the whole split: five training batches and the test batch.
    for i, part in enumerate(torch.chunk(torch.arange(len(x)), 5)):
        write_cifar_bin(os.path.join(data, f'data_batch_{i + 1}.bin'), x[part], y[part])
    write_cifar_bin(os.path.join(data, 'test_batch.bin'), tx, ty)

    model = fixtures.PreActResNet18(width=args.width)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    eps, alpha = 8 / 255, 2 / 255
    start = time.time()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            model.eval()  # the attack runs in eval mode, as in matc and the paper's code
            adv = pgd(model, x[idx], y[idx], eps, alpha, 5)
            model.train()
            opt.zero_grad()
            F.cross_entropy(model(adv), y[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            natural = (model(tx[:1000]).argmax(1) == ty[:1000]).float().mean().item()
        print(f'epoch {epoch + 1}: natural {100 * natural:.1f}% on 1000 test images ({time.time() - start:.0f} s)', flush=True)
    torch.save({'state_dict': model.state_dict(), 'epoch': args.epochs}, os.path.join(args.out, f'preact_w{args.width}.pt'))


if __name__ == '__main__':
    main()
