"""Instrument model: cameras, readouts, optics, telescopes and arrays."""
from .camera import CameraGeometry, Neighbors, PixelShape, compute_neighbors
from .optics import OpticsDescription
from .readout import CameraReadout, reference_pulse
from .subarray import ReferenceLocation, SubarrayDescription
from .telescope import TELESCOPE_TYPES, TelescopeDescription

__all__ = [
    "CameraGeometry",
    "CameraReadout",
    "Neighbors",
    "OpticsDescription",
    "PixelShape",
    "ReferenceLocation",
    "SubarrayDescription",
    "TELESCOPE_TYPES",
    "TelescopeDescription",
    "compute_neighbors",
    "reference_pulse",
]
