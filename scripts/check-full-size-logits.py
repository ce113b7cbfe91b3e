#!/usr/bin/env python3
"""Full-size PreAct ResNet-18 and WRN-28-10 from PyTorch give the same logits in matc.

The committed tests use narrow versions of these networks (test/interop); this script checks the real
sizes, whose .pt files (45 MB and 146 MB) are too large to commit. It builds each network with random
weights and random batch-norm statistics, saves it with torch.save, computes eval-mode logits on the
fixture script's exact inputs, then asks matc (the built dist/, through the package's `predict`) for its
logits and prints the largest difference relative to the logit scale (must be <= 1e-4).

    /usr/bin/python3 scripts/check-full-size-logits.py [--work /tmp/matc-full-size] [--images 2]
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
spec = importlib.util.spec_from_file_location('fixtures', os.path.join(HERE, 'make-interop-fixtures.py'))
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)

NODE_PREDICT = """
import { loadModel, predict } from '%s';
const [file, arch, n] = process.argv.slice(2);
const model = await loadModel(file, { arch, dataset: 'cifar10' });
try {
  const size = 3 * 32 * 32, images = new Float32Array(Number(n) * size);
  for (let i = 0; i < images.length; i++) images[i] = Number((BigInt(i) * 2654435761n) %% 4294967296n) / 4294967296;
  process.stdout.write(JSON.stringify(Array.from(await predict(model, images))));
} finally { model.dispose(); }
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='/tmp/matc-full-size')
    parser.add_argument('--images', type=int, default=2)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    script = os.path.join(args.work, 'predict.mjs')
    with open(script, 'w') as f:
        f.write(NODE_PREDICT % os.path.join(ROOT, 'dist', 'src', 'index.js'))
    networks = [
        ('preact_resnet18', fixtures.PreActResNet18(), 'preact_resnet18'),
        ('wrn28_10', fixtures.WideResNet(depth=28, widen=10), 'wrn28_10'),
    ]
    worst_overall = 0.0
    for name, model, arch in networks:
        torch.manual_seed(0)
        fixtures.randomize_batchnorm(model, torch.Generator().manual_seed(1))
        model.eval()
        path = os.path.join(args.work, f'{name}.pt')
        torch.save(model.state_dict(), path)
        with torch.no_grad():
            want = model(fixtures.lcg_images(args.images, (3, 32, 32))).flatten()
        got = subprocess.run(['node', script, path, arch, str(args.images)], cwd=ROOT, check=True, capture_output=True, text=True)
        logits = torch.tensor(json.loads(got.stdout))
        worst, scale = float((logits - want).abs().max()), float(want.abs().max())
        relative = worst / scale
        worst_overall = max(worst_overall, relative)
        print(f'{name}: {sum(p.numel() for p in model.parameters())} parameters, max |matc - torch| = {worst:.3e}, '
              f'max |logit| = {scale:.4f}, ratio {relative:.2e}; logits {want[:3].tolist()} ...')
    sys.exit(0 if worst_overall <= 1e-4 else 1)


if __name__ == '__main__':
    main()
