#!/usr/bin/python3
"""Write the PyTorch checkpoints test/train/torch-checkpoint.test.ts reads, and what they hold.

Run with a Python that has PyTorch (torch is not a matc dependency; the fixtures are committed):

    /usr/bin/python3 scripts/make-torch-fixtures.py

It writes test/fixtures/torch/*.pt (a few KB each) and expected.json: for every file that matc
should read, its tensors in state_dict order with shape, the dtype matc reads them as, and the
values flattened in C order as numbers (f16 and bf16 as their exact float32 conversion).
Files matc must refuse are listed under "refused" with the words the error has to contain.
Rerunning rewrites the same bytes, except legacy.pt and torchscript.pt (PyTorch puts object ids and
timestamps in those).
"""
import json
import os
import sys
import zipfile
from collections import OrderedDict

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch')


class Tiny(nn.Module):
    """The tiny conv + batch norm + linear model of test/train/checkpoint.test.ts (1x4x4 inputs, 3 classes)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.bn1(self.conv1(x))), 1))


class ShellCommand:
    """What an attacker pickles: unpickling it runs a shell command (a real unpickler would)."""

    def __reduce__(self):
        return (os.system, ('echo pwned',))


class ViewPastItsStorage:
    """Pickles as a 4x4 tensor whose strides read 16 values from a storage of 8 (torch.save cannot make one)."""

    def __init__(self):
        self.storage = torch.arange(8, dtype=torch.float32).storage()

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, (self.storage, 0, (4, 4), (4, 1), False, OrderedDict()))


expected = {'read': {}, 'refused': {}}


def matc_dtype(t):
    return {torch.float64: 'F64', torch.int64: 'I64', torch.int32: 'I32'}.get(t.dtype, 'F32')


def values(t):
    if t.dtype in (torch.int64, torch.int32):
        return [int(v) for v in t.flatten().tolist()]
    return t.to(torch.float64 if t.dtype == torch.float64 else torch.float32).flatten().tolist()


def save(name, obj, tensors=None, **kwargs):
    """torch.save obj; `tensors` (name -> tensor) is what matc must read from it."""
    torch.save(obj, os.path.join(OUT, name), **kwargs)
    if tensors is not None:
        expected['read'][name] = [
            {'name': k, 'shape': list(t.shape), 'dtype': matc_dtype(t), 'values': values(t)} for k, t in tensors.items()
        ]


def refused(name, *words):
    expected['refused'][name] = list(words)


def rewrite_zip(source, target, change):
    """Copy the archive `source` to `target`, entries stored as torch.save stores them, after `change(name, bytes)`
    (returning None drops the entry)."""
    with zipfile.ZipFile(os.path.join(OUT, source)) as zin, zipfile.ZipFile(os.path.join(OUT, target), 'w', zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), data)  # the same bytes every run


def expected_json():
    """expected.json with one tensor or refused file a line, so that a change shows as a readable diff."""
    files = [
        f'  {json.dumps(name)}: [\n' + ',\n'.join(f'   {json.dumps(t)}' for t in tensors) + '\n  ]' for name, tensors in expected['read'].items()
    ]
    refusals = [f'  {json.dumps(name)}: {json.dumps(words)}' for name, words in expected['refused'].items()]
    return (
        f'{{\n "torch": {json.dumps(torch.__version__)},\n "read": {{\n' + ',\n'.join(files) + '\n },\n'
        + ' "refused": {\n' + ',\n'.join(refusals) + '\n }\n}\n'
    )


def trained_tiny():
    torch.manual_seed(0)
    net = Tiny()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):  # non-trivial batch-norm statistics, num_batches_tracked = 3, momentum buffers
        opt.zero_grad()
        net(torch.randn(5, 1, 4, 4)).sum().backward()
        opt.step()
    return net, opt


def main():
    os.makedirs(OUT, exist_ok=True)
    net, opt = trained_tiny()
    sd = net.state_dict()

    save('tiny-state-dict.pt', sd, sd)
    extras = {'epoch': 7, 'optimizer': opt.state_dict(), 'best_acc': 0.625}
    save('tiny-under-state_dict.pt', {'state_dict': sd, **extras}, sd)
    save('tiny-under-model.pt', {'epoch': 7, 'model': sd, 'optimizer': opt.state_dict()}, sd)
    save('tiny-under-model_state_dict.pt', {'model_state_dict': sd, 'optimizer_state_dict': opt.state_dict(), 'epoch': 7}, sd)
    save('tiny-dataparallel.pt', nn.DataParallel(net).state_dict(), sd)

    torch.manual_seed(1)
    dtypes = OrderedDict(
        half=torch.randn(2, 3).half(),
        bf16=torch.randn(5).bfloat16(),
        double=torch.randn(3, 2, dtype=torch.float64),
        int32=torch.tensor([-3, 0, 2**31 - 1], dtype=torch.int32),
        int64=torch.tensor([[-(2**40), 5]], dtype=torch.int64),
        scalar=torch.tensor(2.5),
    )
    save('dtypes.pt', dtypes, dtypes)

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 4
    views = OrderedDict(
        base=base,
        transposed=base.t(),  # non-contiguous: strides (1, 6)
        row=base[2],  # storage offset 12
        column=base[:, 3],  # offset 3, stride 6
        block=base[1:3, 2:5],  # offset 8, strides (6, 1)
        alone=torch.tensor([9.0, -1.0]),  # a second storage
    )
    save('views.pt', views, views)

    save('shell-command.pt', {'fc.weight': torch.ones(2), 'payload': ShellCommand()})
    refused('shell-command.pt', 'posix.system', 'never executes code')

    save('legacy.pt', sd, _use_new_zipfile_serialization=False)
    refused('legacy.pt', 'legacy', 'PyTorch >= 1.6')

    save('no-tensors.pt', {'epoch': 3, 'lr': 0.1})
    refused('no-tensors.pt', 'no tensors')

    torch.jit.script(net.eval()).save(os.path.join(OUT, 'torchscript.pt'))
    refused('torchscript.pt', 'TorchScript')

    save('whole-module.pt', net)
    refused('whole-module.pt', '__main__.Tiny', 'state_dict()')

    save('view-past-storage.pt', {'w': ViewPastItsStorage()})
    refused('view-past-storage.pt', 'w', 'past the end of its storage')

    # One stored element repeated by a stride of 0: a tiny file asking for 40 MB of values.
    save('expanded.pt', {'w': torch.zeros(1).expand(10**7)})
    refused('expanded.pt', '10000000 elements')

    rewrite_zip('tiny-state-dict.pt', 'missing-storage.pt', lambda name, data: None if name.endswith('/data/0') else data)
    refused('missing-storage.pt', 'data/0', 'missing')
    rewrite_zip('tiny-state-dict.pt', 'short-storage.pt', lambda name, data: data[:-4] if name.endswith('/data/0') else data)
    refused('short-storage.pt', 'data/0', 'bytes')

    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        f.write(expected_json())
    for name in sorted(os.listdir(OUT)):
        print(f'{os.path.getsize(os.path.join(OUT, name)):7d}  {name}', file=sys.stderr)


if __name__ == '__main__':
    main()
