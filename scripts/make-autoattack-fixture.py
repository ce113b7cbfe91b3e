#!/usr/bin/env python3
"""The reference AutoAttack's per-example results on a committed checkpoint, for matc's regression test.

Runs fra31/auto-attack (a checkout given by --autoattack-dir or AUTOATTACK_DIR; never copied here) on
test/fixtures/interop/fmnist_small_cnn.pt and the first N Fashion-MNIST test images: APGD-CE alone and
the standard cascade, under L-inf. test/interop/autoattack-reference.test.ts runs matc's attacks on the
same weights and images and must stay within 1.5 points of these numbers.

    /usr/bin/python3 scripts/make-autoattack-fixture.py --autoattack-dir ~/src/auto-attack
"""
import argparse
import importlib.util
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_module(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--autoattack-dir', default=os.environ.get('AUTOATTACK_DIR'))
    parser.add_argument('--n', type=int, default=100)
    parser.add_argument('--eps', type=float, default=0.03)
    parser.add_argument('--out', default=os.path.join(ROOT, 'test', 'fixtures', 'interop', 'fmnist_small_cnn.autoattack.json'))
    args = parser.parse_args()
    if not args.autoattack_dir:
        sys.exit('pass --autoattack-dir (a checkout of fra31/auto-attack) or set AUTOATTACK_DIR')
    sys.path.insert(0, args.autoattack_dir)
    from autoattack import AutoAttack  # noqa: E402

    compare = load_module('compare', 'compare-autoattack.py')
    model = compare.load_weights(compare.small_cnn(hidden=16), os.path.join(ROOT, 'test', 'fixtures', 'interop', 'fmnist_small_cnn.pt'))
    x, y = compare.fashion_mnist_test(args.n, None)
    with torch.no_grad():
        natural = model(x).argmax(1) == y

    def robust_after(adversary):
        x_adv = adversary.run_standard_evaluation(x, y, bs=args.n)
        with torch.no_grad():
            return ((model(x_adv).argmax(1) == y) & natural).int().tolist()

    apgd = AutoAttack(model, norm='Linf', eps=args.eps, version='custom', attacks_to_run=['apgd-ce'], seed=0, device='cpu')
    apgd.apgd.n_restarts = 1
    standard = AutoAttack(model, norm='Linf', eps=args.eps, version='standard', seed=0, device='cpu')
    record = {
        'checkpoint': 'fmnist_small_cnn.pt', 'arch': 'small_cnn(hidden: 16)', 'dataset': 'fashion-mnist',
        'n': args.n, 'norm': 'linf', 'eps': args.eps, 'torch': torch.__version__,
        'natural': natural.int().tolist(),
        'apgd_ce': robust_after(apgd),
        'autoattack': robust_after(standard),
    }
    with open(args.out, 'w') as f:
        json.dump(record, f)
    for key in ('natural', 'apgd_ce', 'autoattack'):
        print(f'{key}: {100 * sum(record[key]) / args.n:.1f}%')


if __name__ == '__main__':
    main()
