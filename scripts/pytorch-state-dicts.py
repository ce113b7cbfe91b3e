#!/usr/bin/env python3
"""Print the state_dict names, shapes, dtypes and parameter/buffer split of the PyTorch models whose
checkpoints matc's standard architectures load, as JSON files for test/state-dicts.

The modules are written here from the structure of the references (not imported from them):
  - ResNet-18: kuangliu/pytorch-cifar models/resnet.py, as in dongyp13/memorization-AT and
    RobustBench robustbench/model_zoo/architectures/resnet.py (ResNet18);
  - PreActResNet-18: RobustBench resnet.py (PreActResNet18, bn_before_fc=False) and the variant
    with a final batch norm `bn` (Rice et al.'s robust-overfitting code; bn_before_fc=True);
  - WideResNet: yaodongyu/TRADES models/wideresnet.py (registers sub_block1), dongyp13/memorization-AT
    models/wideresnet.py (no sub_block1), RobustBench wide_resnet.py (sub_block1 and bias_last options).
Only names and shapes matter here, so forward passes are omitted.

Usage: /usr/bin/python3 scripts/pytorch-state-dicts.py test/fixtures/state-dicts
Needs PyTorch (not a dependency of matc; any 1.x or 2.x CPU build).
"""
import json
import os
import sys

import torch.nn as nn


def conv3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


class ResNetBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = conv3(cin, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        projection = stride != 1 or cin != planes
        self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)) if projection else nn.Sequential()


class PreActBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = conv3(cin, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3(planes, planes)
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride=stride, bias=False))


def stages(block, widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2)):
    cin, out = 64, []
    for i, (planes, n) in enumerate(zip(widths, blocks)):
        layers = []
        for b in range(n):
            layers.append(block(cin, planes, (1 if i == 0 else 2) if b == 0 else 1))
            cin = planes
        out.append(nn.Sequential(*layers))
    return out


class ResNet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = conv3(3, 64)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1, self.layer2, self.layer3, self.layer4 = stages(ResNetBlock)
        self.linear = nn.Linear(512, classes)


class PreActResNet18(nn.Module):
    def __init__(self, classes=10, final_bn=False):
        super().__init__()
        self.conv1 = conv3(3, 64)
        self.layer1, self.layer2, self.layer3, self.layer4 = stages(PreActBlock)
        if final_bn:
            self.bn = nn.BatchNorm2d(512)
        self.linear = nn.Linear(512, classes)


class WideBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU()
        self.conv1 = conv3(cin, cout, stride)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.conv2 = conv3(cout, cout)
        self.convShortcut = None if cin == cout else nn.Conv2d(cin, cout, 1, stride=stride, padding=0, bias=False)


class NetworkBlock(nn.Module):
    def __init__(self, n, cin, cout, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WideBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(n)])


class WideResNet(nn.Module):
    def __init__(self, depth, widen, classes=10, sub_block1=False, bias_last=True):
        super().__init__()
        n = (depth - 4) // 6
        c = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = conv3(3, c[0])
        self.block1 = NetworkBlock(n, c[0], c[1], 1)
        if sub_block1:
            self.sub_block1 = NetworkBlock(n, c[0], c[1], 1)
        self.block2 = NetworkBlock(n, c[1], c[2], 2)
        self.block3 = NetworkBlock(n, c[2], c[3], 2)
        self.bn1 = nn.BatchNorm2d(c[3])
        self.relu = nn.ReLU()
        self.fc = nn.Linear(c[3], classes, bias=bias_last)


# fixture name -> (matc model, its arguments, the PyTorch module)
MODELS = {
    'resnet18': ('resnet18', {}, lambda: ResNet18()),
    'preact_resnet18': ('preact_resnet18', {}, lambda: PreActResNet18(final_bn=True)),
    'preact_resnet18-robustbench': ('preact_resnet18', {'final_bn': False, 'shortcut_preact': False}, lambda: PreActResNet18(final_bn=False)),
    'wrn28_10': ('wrn28_10', {}, lambda: WideResNet(28, 10)),
    'wrn28_10-sub_block1-no_bias_last': ('wrn28_10', {'sub_block1': True, 'bias_last': False}, lambda: WideResNet(28, 10, sub_block1=True, bias_last=False)),
    'wrn34_10': ('wrn34_10', {}, lambda: WideResNet(34, 10)),
    'wrn34_10-trades': ('wrn34_10', {'sub_block1': True}, lambda: WideResNet(34, 10, sub_block1=True)),
    'wrn34_10-cifar100': ('wrn34_10', {'classes': 100}, lambda: WideResNet(34, 10, classes=100)),
}


def listing(module):
    params = {name for name, _ in module.named_parameters()}
    return [
        {'name': name, 'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''), 'trainable': name in params}
        for name, t in module.state_dict().items()
    ]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for fixture, (model, args, build) in MODELS.items():
        doc = {'model': model, 'args': args, 'state_dict': listing(build())}
        with open(os.path.join(out_dir, f'{fixture}.json'), 'w') as f:
            json.dump(doc, f, separators=(',', ':'))
            f.write('\n')
        print(f'{fixture}: {len(doc["state_dict"])} entries')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/state-dicts')
