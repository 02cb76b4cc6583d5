"""The compiled search loops (archive/index/_kernels.c) as an optional extension: where no C compiler is found the
install goes on without it and archive/index/kernels.py uses the numpy versions (same results, slower search)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("archive.index._kernels", ["archive/index/_kernels.c"], optional=True,
                             # no fused multiply-add: the BM25 loop rounds as numpy does
                             extra_compile_args=["-O2", "-ffp-contract=off"])])
