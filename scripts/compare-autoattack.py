#!/usr/bin/env python3
"""AutoAttack in matc against the reference implementation (fra31/auto-attack), on one checkpoint.

Runs `matc eval --attacks natural,aa` and the reference's standard AutoAttack on the same weights and the
same first N test images, then prints both robust accuracies, their difference, and how often the two agree
per example. Exit status 0 when the difference is within --tolerance points (default 1.5), 1 otherwise.

This is a cross-check for developers, not part of matc or of CI: it needs PyTorch (Debian's `python3-torch`,
run with /usr/bin/python3) and a checkout of https://github.com/fra31/auto-attack (pass --autoattack-dir or
set AUTOATTACK_DIR; the reference is imported from there, never copied into this project).

  /usr/bin/python3 scripts/compare-autoattack.py --checkpoint runs/t/model-final.safetensors \
      --arch small_cnn --pipeline pipelines/quickstart/trades.mat --dataset fashion-mnist --n 200 --eps 0.1

Architectures: small_cnn and mlp (pipelines/models/), preact_resnet18 (RobustBench's PreActResNet names,
with --width to scale every stage, e.g. 8 for a CIFAR-shaped network small enough for a software GPU).
Checkpoints: .safetensors (read here with numpy) or .pt/.pth (torch.load).
"""
import argparse
import gzip
import json
import os
import pickle
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------- models (PyTorch twins)

def small_cnn(classes=10, channels=1, hidden=100):
    # Same layers and state_dict names (0.*, 3.*, 7.*, 9.*) as pipelines/models/small_cnn.mat.
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def mlp(classes=10, inputs=784, hidden=256):
    return nn.Sequential(nn.Flatten(), nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, classes))


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
    """RobustBench's PreActResNet-18 layout (conv1, layer1..4, bn, linear), every width scaled by width/64."""

    def __init__(self, classes=10, channels=3, width=64):
        super().__init__()
        w = [width, 2 * width, 4 * width, 8 * width]
        self.conv1 = nn.Conv2d(channels, w[0], 3, 1, 1, bias=False)
        layers, in_planes = [], w[0]
        for i, (planes, stride) in enumerate(zip(w, [1, 2, 2, 2])):
            layers.append(nn.Sequential(PreActBlock(in_planes, planes, stride), PreActBlock(planes, planes, 1)))
            in_planes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.bn = nn.BatchNorm2d(w[3])
        self.linear = nn.Linear(w[3], classes)

    def forward(self, x):
        out = self.layer4(self.layer3(self.layer2(self.layer1(self.conv1(x)))))
        out = F.relu(self.bn(out))
        return self.linear(torch.flatten(F.avg_pool2d(out, 4), 1))


def build_model(args):
    if args.arch == 'small_cnn':
        return small_cnn(args.classes, args.channels)
    if args.arch == 'mlp':
        return mlp(args.classes)
    if args.arch == 'preact_resnet18':
        return PreActResNet18(args.classes, args.channels, args.width)
    sys.exit(f'unknown --arch {args.arch}')


# ----------------------------------------------------------------------------- checkpoints

SAFETENSORS_DTYPES = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64, 'I32': np.int32, 'F16': np.float16}


def read_safetensors(path):
    with open(path, 'rb') as f:
        (header_len,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    tensors = {}
    for name, spec in header.items():
        if name == '__metadata__':
            continue
        begin, end = spec['data_offsets']
        array = np.frombuffer(data[begin:end], dtype=SAFETENSORS_DTYPES[spec['dtype']]).reshape(spec['shape'])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def load_weights(model, path):
    if path.endswith('.safetensors'):
        state = read_safetensors(path)
    else:
        state = torch.load(path, map_location='cpu')
        for key in ('state_dict', 'model', 'model_state_dict'):
            if isinstance(state, dict) and key in state and isinstance(state[key], dict):
                state = state[key]
        state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    model.load_state_dict(state, strict=True)
    return model.eval()


# ----------------------------------------------------------------------------- data (the first n test images)

def read_idx(path):
    with gzip.open(path, 'rb') if path.endswith('.gz') else open(path, 'rb') as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack('>' + 'I' * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist_test(n, data_dir):
    base = data_dir or '/usr/share/datasets/fashion-mnist'
    images = read_idx(os.path.join(base, 't10k-images-idx3-ubyte.gz'))[:n]
    labels = read_idx(os.path.join(base, 't10k-labels-idx1-ubyte.gz'))[:n]
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def cifar10_test(n, data_dir):
    binary = [os.path.join(d, 'test_batch.bin') for d in (data_dir, os.path.join(data_dir, 'cifar-10-batches-bin'))]
    for path in binary:
        if os.path.exists(path):
            # The binary version: records of one label byte and 3072 pixel bytes (CHW).
            records = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)[:n]
            images = records[:, 1:].astype(np.float32).reshape(-1, 3, 32, 32) / 255.0
            return torch.from_numpy(images), torch.from_numpy(records[:, 0].astype(np.int64))
    # torchvision's cifar-10-batches-py layout (a Python pickle of a dict with b'data' [N, 3072] and b'labels').
    folder = data_dir if os.path.exists(os.path.join(data_dir, 'test_batch')) else os.path.join(data_dir, 'cifar-10-batches-py')
    with open(os.path.join(folder, 'test_batch'), 'rb') as f:
        batch = pickle.load(f, encoding='bytes')
    images = np.asarray(batch[b'data'][:n], dtype=np.float32).reshape(-1, 3, 32, 32) / 255.0
    return torch.from_numpy(images), torch.tensor(batch[b'labels'][:n], dtype=torch.int64)


def load_data(args):
    if args.dataset == 'fashion-mnist':
        return fashion_mnist_test(args.n, args.data_dir)
    if args.dataset == 'cifar10':
        if not args.data_dir:
            sys.exit('--dataset cifar10 needs --data-dir (a cifar-10-batches-py folder)')
        return cifar10_test(args.n, args.data_dir)
    sys.exit(f'unknown --dataset {args.dataset}')


# ----------------------------------------------------------------------------- the two evaluations

def run_reference(model, x, y, args):
    sys.path.insert(0, args.autoattack_dir)
    from autoattack import AutoAttack  # noqa: E402  (imported from the user's checkout)
    norm = {'linf': 'Linf', 'l2': 'L2'}[args.norm]
    with torch.no_grad():
        natural = (model(x).argmax(1) == y)
    start = time.time()
    adversary = AutoAttack(model, norm=norm, eps=args.eps, version='standard', seed=args.seed, device='cpu')
    x_adv = adversary.run_standard_evaluation(x, y, bs=args.batch)
    with torch.no_grad():
        robust = (model(x_adv).argmax(1) == y) & natural
    return {'natural': natural.float().mean().item(), 'robust': robust.float().mean().item(),
            'robust_flags': robust.int().tolist(), 'seconds': time.time() - start}


def run_matc(args):
    record_path = args.matc_record or os.path.join(args.work_dir, 'matc-eval.json')
    if not args.matc_record:
        cmd = ['node', os.path.join(ROOT, 'dist/src/cli/bin.js'), 'eval', args.checkpoint, '--attacks', 'natural,aa',
               '--n', str(args.n), '--eps', str(args.eps), '--norm', args.norm, '--out', record_path,
               '--seed', str(args.seed), '--batch', str(args.batch)]
        matc_arch = args.arch if args.width == 64 else f'{args.arch}(width: {args.width})'
        cmd += ['--pipeline', args.pipeline] if args.pipeline else ['--arch', matc_arch, '--dataset', args.dataset]
        if args.data_dir:
            cmd += ['--data-dir', args.data_dir]
        print('+', ' '.join(cmd), file=sys.stderr)
        start = time.time()
        subprocess.run(cmd, check=True, cwd=ROOT)
        seconds = time.time() - start
    else:
        seconds = None
    with open(record_path) as f:
        record = json.load(f)
    attacks = record['attacks']
    aa = next(a for a in attacks.values() if a['id'] == 'aa')
    natural = next(a for a in attacks.values() if a['id'] == 'natural')
    return {'natural': natural['accuracy'], 'robust': aa['accuracy'], 'robust_flags': aa['robust'],
            'broken_by_stage': aa['broken'], 'seconds': seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', required=True)
    parser.add_argument('--arch', default='small_cnn')
    parser.add_argument('--pipeline', help='a .mat pipeline for matc eval (else matc gets --arch/--dataset)')
    parser.add_argument('--dataset', default='fashion-mnist', choices=['fashion-mnist', 'cifar10'])
    parser.add_argument('--data-dir')
    parser.add_argument('--classes', type=int, default=10)
    parser.add_argument('--channels', type=int, default=1)
    parser.add_argument('--width', type=int, default=64, help='preact_resnet18: channels of the first stage')
    parser.add_argument('--n', type=int, default=200)
    parser.add_argument('--eps', type=float, required=True)
    parser.add_argument('--norm', default='linf', choices=['linf', 'l2'])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch', type=int, default=250)
    parser.add_argument('--tolerance', type=float, default=1.5, help='allowed difference in points')
    parser.add_argument('--autoattack-dir', default=os.environ.get('AUTOATTACK_DIR'))
    parser.add_argument('--matc-record', help='reuse an existing matc eval record instead of running matc')
    parser.add_argument('--work-dir', default='/tmp/matc-compare-autoattack')
    parser.add_argument('--out', help='write the figures as JSON here')
    args = parser.parse_args()
    if not args.autoattack_dir:
        sys.exit('pass --autoattack-dir (a checkout of fra31/auto-attack) or set AUTOATTACK_DIR')
    os.makedirs(args.work_dir, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    model = load_weights(build_model(args), args.checkpoint)
    x, y = load_data(args)
    reference = run_reference(model, x, y, args)
    matc = run_matc(args)

    agree = sum(int(a == b) for a, b in zip(reference['robust_flags'], matc['robust_flags']))
    diff = 100 * (matc['robust'] - reference['robust'])
    figures = {
        'checkpoint': args.checkpoint, 'arch': args.arch, 'dataset': args.dataset, 'n': args.n,
        'norm': args.norm, 'eps': args.eps, 'torch': torch.__version__,
        'natural': {'matc': matc['natural'], 'reference': reference['natural']},
        'autoattack': {'matc': matc['robust'], 'reference': reference['robust'], 'difference_points': diff},
        'per_example_agreement': agree / args.n,
        'matc_broken_by_stage': matc['broken_by_stage'],
        'seconds': {'matc': matc['seconds'], 'reference': reference['seconds']},
    }
    print(json.dumps(figures, indent=2))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(figures, f, indent=2)
    ok = abs(diff) <= args.tolerance
    print(f"AutoAttack robust accuracy: matc {100 * matc['robust']:.1f}%, reference {100 * reference['robust']:.1f}% "
          f"({diff:+.1f} points; {'within' if ok else 'OUTSIDE'} {args.tolerance}); natural matc "
          f"{100 * matc['natural']:.1f}% vs {100 * reference['natural']:.1f}%; per-example agreement {100 * agree / args.n:.1f}%")
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
