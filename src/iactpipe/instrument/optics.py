"""Telescope optics: reflector, mirror area, focal lengths and optical PSF."""
from dataclasses import dataclass

import numpy as np

from ..errors import InstrumentError

__all__ = ["OpticsDescription"]


@dataclass(frozen=True)
class OpticsDescription:
    """Optical properties of one telescope type.

    Parameters
    ----------
    name : str
        Optics name, e.g. ``"LST"``.
    size_type : str
        ``"LST"``, ``"MST"`` or ``"SST"``.
    reflector_shape : str
        ``"parabolic"``, ``"hybrid"``, ``"davies-cotton"``, ``"schwarzschild-couder"``.
    mirror_area_m2 : float
        Total reflecting area, m².
    n_mirrors : int
        Mirror surfaces (1 single-mirror, 2 dual-mirror).
    n_mirror_tiles : int
        Number of mirror facets.
    equivalent_focal_length_m : float
        Nominal (equivalent) focal length, m.
    effective_focal_length_m : float
        Focal length including coma aberration, m; NaN where not known.
    psf_sigma_deg : float
        Width (Gaussian sigma) of the optical point-spread function on axis, deg.
    focal_length_choice : {"effective", "equivalent"}
        Which focal length `focal_length_m` returns; ``"effective"`` falls back to the
        equivalent focal length where the effective one is not known.
    """

    name: str
    size_type: str
    reflector_shape: str
    mirror_area_m2: float
    n_mirrors: int
    n_mirror_tiles: int
    equivalent_focal_length_m: float
    effective_focal_length_m: float = float("nan")
    psf_sigma_deg: float = float("nan")
    focal_length_choice: str = "effective"

    def __post_init__(self):
        if not self.equivalent_focal_length_m > 0:
            raise InstrumentError(f"optics {self.name!r}: equivalent focal length must be positive")
        if not self.mirror_area_m2 > 0:
            raise InstrumentError(f"optics {self.name!r}: mirror area must be positive")
        if self.focal_length_choice not in ("effective", "equivalent"):
            raise InstrumentError(f"optics {self.name!r}: focal_length_choice must be 'effective' or "
                                  f"'equivalent', got {self.focal_length_choice!r}")

    @property
    def focal_length_m(self):
        """Focal length for image analysis, m: effective if chosen and known, else equivalent."""
        effective = self.effective_focal_length_m
        if self.focal_length_choice == "effective" and np.isfinite(effective) and effective > 0:
            return float(self.effective_focal_length_m)
        return float(self.equivalent_focal_length_m)
