"""iactpipe's own fast air-shower and telescope simulator.

Modules (imported lazily, so ``import iactpipe.simulation`` costs nothing and numba
kernels compile or load from cache only when used):

``atmosphere``
    Density, depth, refractive index and extinction profiles.
``showers``
    Air showers (gamma, electron, proton, muon) as Cherenkov *emitters*.
``light``
    Cherenkov photons and photoelectrons at the telescopes.

The physics and every approximation are documented in ``docs/simulation.md``.
"""
from importlib import import_module

__all__ = ["atmosphere", "showers", "light"]

_SUBMODULES = {"atmosphere", "showers", "light"}


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
