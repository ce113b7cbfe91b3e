# Writes the two tiny CIFAR python-version pickles under test/data/fixtures/ with Python 2.7's own
# cPickle (protocol 2, as the published cifar-10-batches-py and cifar-100-python files are), so
# the tests can check that test/data/py2-pickle.ts writes the same bytes.
#
#   PYENV_VERSION=2.7.18 python2 scripts/make-cifar-py2-fixture.py
#
# numpy is not needed (nor installable for Python 2 here): small stand-ins registered as
# numpy.core.multiarray._reconstruct, numpy.ndarray and numpy.dtype return from __reduce__ exactly
# what numpy's C code returns (methods.c array_reduce, descriptor.c arraydescr_reduce), including
# building every tuple and string afresh, which matters because cPickle skips the memo (BINPUT)
# for objects with a reference count of 1. Pixel and label formulas match test/data/fixtures.ts.
import cPickle
import os
import sys
import types

numpy = types.ModuleType('numpy')
core = types.ModuleType('numpy.core')
multiarray = types.ModuleType('numpy.core.multiarray')
sys.modules.update({'numpy': numpy, 'numpy.core': core, 'numpy.core.multiarray': multiarray})


def _reconstruct(cls, shape, typecode):
    raise NotImplementedError('only pickling is needed')
_reconstruct.__module__ = 'numpy.core.multiarray'
multiarray._reconstruct = _reconstruct


class dtype(object):
    def __reduce__(self):
        # Py_BuildValue("(Nii)", PyString_FromFormat("%c%d", kind, elsize), 0, 1), version-3 state
        # (written so Python 2's peephole optimizer cannot fold 'u1' and the tuples into constants)
        return (dtype, tuple(['u' + str(1), 0, 1]), tuple([3, '|', None, None, None, -1, -1, 0]))
dtype.__module__ = 'numpy'
numpy.dtype = dtype


class ndarray(object):
    def __init__(self, rows, cols, pixel):
        self.rows, self.cols, self.pixel, self.descr = rows, cols, pixel, dtype()

    def __reduce__(self):
        raw = ''.join(chr(self.pixel(i // self.cols, i % self.cols)) for i in range(self.rows * self.cols))
        return (_reconstruct, (ndarray, tuple([0]), 'b'),
                tuple([1, (self.rows, self.cols), self.descr, False, raw]))
ndarray.__module__ = 'numpy'
numpy.ndarray = ndarray


def cifar_pixel(r, k):
    c, y, x = k // 1024, (k // 32) % 32, k % 32
    return (r * 31 + c * 80 + y * 5 + x) % 256


N = 2
cifar10 = {
    'batch_label': 'training batch 1 of 5',
    'labels': [(r * 7) % 10 for r in range(N)],
    'data': ndarray(N, 3072, cifar_pixel),
    'filenames': ['leptodactylus_pentadactylus_s_000004.png', 'camion_s_000148.png'],
}
cifar100 = {
    'filenames': ['bos_taurus_s_000507.png', 'stegosaurus_s_000125.png'],
    'batch_label': 'training batch 1 of 1',
    'fine_labels': [(r * 13 + 5) % 100 for r in range(N)],
    'coarse_labels': [(r * 3 + 2) % 20 for r in range(N)],
    'data': ndarray(N, 3072, cifar_pixel),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'data', 'fixtures')
for name, batch in [('cifar10-py2.pickle', cifar10), ('cifar100-py2.pickle', cifar100)]:
    with open(os.path.join(out, name), 'wb') as f:
        f.write(cPickle.dumps(batch, 2))
    # The tests rebuild the dict in this (Python 2 hash) order.
    print name, batch.keys()
