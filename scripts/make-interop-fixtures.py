#!/usr/bin/env python3
"""Make the PyTorch interop fixtures under test/fixtures/interop/ (committed, with this script).

Run with Debian's PyTorch (`apt-get install python3-torch`; torch is not a dependency of matc):

    /usr/bin/python3 scripts/make-interop-fixtures.py [--out test/fixtures/interop]

It writes
- fmnist_small_cnn.pt: small_cnn(hidden: 16) trained briefly on Fashion-MNIST (Debian's dataset-fashion-mnist),
  saved as a training script would: {'state_dict': <DataParallel 'module.' names>, 'epoch': ..., 'best_acc': ...};
  fmnist_small_cnn.json: PyTorch's natural accuracy on the first 1000 test images, per-example predictions
  and the smallest top-1 margin (so a test can tell a real disagreement from a float tie);
- preact_resnet18_w4.pt, wrn10_1.pt: RobustBench's PreActResNet-18 (every width / 16) and WideResNet
  (depth 10, widen 1, with TRADES' unused sub_block1) with random weights and random batch-norm statistics;
  *.json: their eval-mode logits on `lcg_images` (below), which matc's test recomputes.

The architectures are written here from the structure of the reference definitions (RobustBench
model_zoo/architectures/{resnet,wide_resnet}.py, TRADES models/wideresnet.py), with their state_dict names.
"""
import argparse
import gzip
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def lcg_images(n, shape):
    """n images of `shape` with pixels ((i * 2654435761) mod 2^32) / 2^32, i the flat index: exact in any language."""
    count = n * int(np.prod(shape))
    i = np.arange(count, dtype=np.uint64)
    values = ((i * np.uint64(2654435761)) % np.uint64(2 ** 32)).astype(np.float64) / 2 ** 32
    return torch.from_numpy(values.astype(np.float32).reshape((n,) + tuple(shape)))


def small_cnn(classes=10, channels=1, hidden=100):
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, classes))


class PreActBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False))

    def forward(self, x):
        a = F.relu(self.bn1(x))
        skip = self.shortcut(a) if hasattr(self, 'shortcut') else x
        return self.conv2(F.relu(self.bn2(self.conv1(a)))) + skip


class PreActResNet18(nn.Module):
    def __init__(self, classes=10, width=64):
        super().__init__()
        w = [width, 2 * width, 4 * width, 8 * width]
        self.conv1 = nn.Conv2d(3, w[0], 3, 1, 1, bias=False)
        stages, in_planes = [], w[0]
        for planes, stride in zip(w, [1, 2, 2, 2]):
            stages.append(nn.Sequential(PreActBlock(in_planes, planes, stride), PreActBlock(planes, planes, 1)))
            in_planes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.bn = nn.BatchNorm2d(w[3])
        self.linear = nn.Linear(w[3], classes)

    def forward(self, x):
        out = F.relu(self.bn(self.layer4(self.layer3(self.layer2(self.layer1(self.conv1(x)))))))
        return self.linear(torch.flatten(F.avg_pool2d(out, 4), 1))


class WideBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)
        self.equal = in_planes == out_planes
        self.convShortcut = None if self.equal else nn.Conv2d(in_planes, out_planes, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return (x if self.equal else self.convShortcut(a)) + out


class NetworkBlock(nn.Module):
    def __init__(self, n, in_planes, out_planes, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WideBlock(in_planes if i == 0 else out_planes, out_planes, stride if i == 0 else 1)
                                     for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth=28, widen=10, classes=10, sub_block1=False):
        super().__init__()
        n = (depth - 4) // 6
        c = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(3, c[0], 3, 1, 1, bias=False)
        self.block1 = NetworkBlock(n, c[0], c[1], 1)
        if sub_block1:
            self.sub_block1 = NetworkBlock(n, c[0], c[1], 1)  # TRADES declares it; forward never uses it
        self.block2 = NetworkBlock(n, c[1], c[2], 2)
        self.block3 = NetworkBlock(n, c[2], c[3], 2)
        self.bn1 = nn.BatchNorm2d(c[3])
        self.fc = nn.Linear(c[3], classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.block3(self.block2(self.block1(self.conv1(x))))))
        return self.fc(torch.flatten(F.avg_pool2d(out, 8), 1))


def randomize_batchnorm(model, generator):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data = 0.5 + torch.rand(m.weight.shape, generator=generator)
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=generator)
            m.running_mean = 0.2 * torch.randn(m.running_mean.shape, generator=generator)
            m.running_var = 0.5 + torch.rand(m.running_var.shape, generator=generator)
            m.num_batches_tracked = torch.tensor(7)


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack('>' + 'I' * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fmnist(split, n):
    base = '/usr/share/datasets/fashion-mnist'
    prefix = 'train' if split == 'train' else 't10k'
    x = read_idx(f'{base}/{prefix}-images-idx3-ubyte.gz')[:n].astype(np.float32) / 255.0
    y = read_idx(f'{base}/{prefix}-labels-idx1-ubyte.gz')[:n].astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def trained_small_cnn(out):
    torch.manual_seed(0)
    model = small_cnn(hidden=16)
    x, y = fmnist('train', 4000)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    tx, ty = fmnist('test', 1000)
    with torch.no_grad():
        logits = model(tx)
    top2 = logits.topk(2, dim=1).values
    predictions = logits.argmax(1)
    state = {f'module.{k}': v for k, v in model.state_dict().items()}
    torch.save({'state_dict': state, 'epoch': 3, 'best_acc': float((predictions == ty).float().mean())},
               os.path.join(out, 'fmnist_small_cnn.pt'))
    with open(os.path.join(out, 'fmnist_small_cnn.json'), 'w') as f:
        json.dump({'arch': 'small_cnn(hidden: 16)', 'dataset': 'fashion-mnist', 'n': 1000,
                   'correct': int((predictions == ty).sum()), 'predictions': predictions.tolist(),
                   'smallest_margin': float((top2[:, 0] - top2[:, 1]).min()), 'torch': torch.__version__}, f)


def random_net(out, name, model, arch, images):
    generator = torch.Generator().manual_seed(1)
    randomize_batchnorm(model, generator)
    model.eval()
    x = lcg_images(images, (3, 32, 32))
    with torch.no_grad():
        logits = model(x)
    torch.save(model.state_dict(), os.path.join(out, f'{name}.pt'))
    with open(os.path.join(out, f'{name}.json'), 'w') as f:
        json.dump({'arch': arch, 'dataset': 'cifar10', 'images': images, 'logits': logits.flatten().tolist(),
                   'scale': float(logits.abs().max()), 'torch': torch.__version__}, f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'interop'))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    trained_small_cnn(args.out)
    torch.manual_seed(2)
    random_net(args.out, 'preact_resnet18_w4', PreActResNet18(width=4), 'preact_resnet18(width: 4)', 3)
    torch.manual_seed(3)
    random_net(args.out, 'wrn10_1', WideResNet(depth=10, widen=1, sub_block1=True), 'wide_resnet(depth: 10, widen: 1, sub_block1: true)', 3)


if __name__ == '__main__':
    main()
