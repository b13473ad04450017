"""Coordinate frames of IACT analysis as vectorised functions on plain float arrays.

Angles are in degrees and lengths in metres throughout; see `iactpipe.coordinates.frames`
for the frame conventions (they follow ctapipe's). Importing this package pulls in numpy
only; the astropy ``Quantity``/``SkyCoord`` wrappers live in the separate module
`iactpipe.coordinates.astropy_frames`, which is not imported here.
"""
from .frames import (
    altaz_to_direction,
    angular_separation,
    camera_to_telescope,
    direction_to_altaz,
    ground_to_tilted,
    horizontal_to_nominal,
    horizontal_to_telescope,
    nominal_to_horizontal,
    nominal_to_telescope,
    project_to_ground,
    telescope_to_camera,
    telescope_to_horizontal,
    telescope_to_nominal,
    tilted_to_ground,
)

__all__ = [
    "camera_to_telescope",
    "telescope_to_camera",
    "telescope_to_horizontal",
    "horizontal_to_telescope",
    "nominal_to_horizontal",
    "horizontal_to_nominal",
    "telescope_to_nominal",
    "nominal_to_telescope",
    "ground_to_tilted",
    "tilted_to_ground",
    "project_to_ground",
    "altaz_to_direction",
    "direction_to_altaz",
    "angular_separation",
]
