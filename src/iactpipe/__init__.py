"""iactpipe: a fast, reproducible analysis pipeline for arrays of Imaging Atmospheric
Cherenkov Telescopes.

Sub-packages are imported lazily so that ``import iactpipe`` and ``iactpipe --help`` stay
instant; numba kernels compile (or load from cache) only when a stage needs them.
"""
from importlib import import_module

from .version import __version__

__all__ = ["__version__", "coordinates", "instrument", "io"]

_SUBPACKAGES = {"coordinates", "instrument", "io", "cli"}


def __getattr__(name):
    if name in _SUBPACKAGES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
