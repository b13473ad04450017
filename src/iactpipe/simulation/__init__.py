"""iactpipe's own fast air-shower and telescope simulator.

Modules (imported lazily, so ``import iactpipe.simulation`` costs nothing and numba
kernels compile or load from cache only when used):

``atmosphere``
    Density, depth, refractive index and extinction profiles.
``showers``
    Air showers (gamma, electron, proton, muon) as Cherenkov *emitters*.
``light``
    Cherenkov photons and photoelectrons at the telescopes.
``electronics``, ``camera_response``, ``trigger``
    Camera electronics parameters, photoelectrons to R0 waveforms, telescope/array trigger.
``config``, ``primaries``, ``run``
    Run settings, thrown primaries, and the run engine behind ``iactpipe simulate``.
``validation``
    The physics checks behind ``iactpipe validate-simulation``.

The physics and every approximation are documented in ``docs/simulation.md``.
"""
from importlib import import_module

_SUBMODULES = ("atmosphere", "showers", "light", "electronics", "camera_response", "trigger",
               "config", "primaries", "run", "validation")

__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
