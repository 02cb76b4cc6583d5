"""The compiled loops as optional extensions: the search loops (archive/index/_kernels.c) and the name recognizer's
decoding (archive/extract/_loops.c). Where no C compiler is found the install goes on without them, and
archive/index/kernels.py and archive/extract/ner.py use their numpy versions (same results, slower)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("archive.index._kernels", ["archive/index/_kernels.c"], optional=True,
                             # no fused multiply-add: the BM25 loop rounds as numpy does
                             extra_compile_args=["-O2", "-ffp-contract=off"]),
                   # no fused multiply-add either: the decoder adds the scores in numpy's order, rounding as it does
                   Extension("archive.extract._loops", ["archive/extract/_loops.c"], optional=True,
                             extra_compile_args=["-O2", "-ffp-contract=off"])])
