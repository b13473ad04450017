"""Image cleaning and DL1 image parametrisation (batched numba kernels)."""
from .cleaning import (
    apply_time_delta_cleaning,
    dilate,
    number_of_islands,
    tailcuts_clean,
    time_constrained_clean,
)
from .geometry import CameraAngles, camera_angles
from .parameters import PARAMETER_COLUMNS, image_parameters

__all__ = [
    "CameraAngles",
    "PARAMETER_COLUMNS",
    "apply_time_delta_cleaning",
    "camera_angles",
    "dilate",
    "image_parameters",
    "number_of_islands",
    "tailcuts_clean",
    "time_constrained_clean",
]
