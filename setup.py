"""Build the optional compiled core.

Every ``ext/<name>.pyx`` becomes the extension module ``lambda_durable.<name>``. When Cython or a C
compiler is unavailable (or ``LAMBDA_DURABLE_NO_EXTENSIONS=1`` is set at build time) the package
installs as pure Python with a warning; each compiled module has a pure-Python twin
(``lambda_durable._<x>_py``) with the same interface, picked by the selector module.
"""
from __future__ import annotations

import glob
import os
import sys
import warnings

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


class OptionalBuildExt(build_ext):
    """A ``build_ext`` that degrades to the pure-Python package instead of failing the install."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any toolchain failure means: install pure Python
            self._warn(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    @staticmethod
    def _warn(exc):
        msg = (
            f"lambda_durable: building the compiled core failed ({exc}); "
            "installing the pure-Python package instead"
        )
        warnings.warn(msg)
        print("WARNING: " + msg, file=sys.stderr)


def extensions():
    if os.environ.get("LAMBDA_DURABLE_NO_EXTENSIONS") == "1":
        print("WARNING: LAMBDA_DURABLE_NO_EXTENSIONS=1: installing pure Python", file=sys.stderr)
        return []
    sources = sorted(glob.glob(os.path.join("ext", "*.pyx")))
    if not sources:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("WARNING: Cython is not available: installing the pure-Python package", file=sys.stderr)
        return []
    from setuptools import Extension

    exts = [
        Extension(f"lambda_durable.{os.path.splitext(os.path.basename(src))[0]}", [src])
        for src in sources
    ]
    return cythonize(
        exts,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
        },
        annotate=os.environ.get("LAMBDA_DURABLE_ANNOTATE") == "1",
        quiet=True,
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
