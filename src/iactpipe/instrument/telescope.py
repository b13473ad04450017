"""A telescope type: optics plus camera (geometry and readout)."""
from dataclasses import dataclass

from .camera import CameraGeometry
from .optics import OpticsDescription
from .readout import CameraReadout

__all__ = ["TelescopeDescription", "TELESCOPE_TYPES"]

#: Telescope classes known to the pipeline (size class; SCT is the dual-mirror MST).
TELESCOPE_TYPES = ("LST", "MST", "SST", "SCT")


@dataclass(frozen=True, eq=False)
class TelescopeDescription:
    """One telescope type.

    Parameters
    ----------
    name : str
        Telescope type name, e.g. ``"LST_LST_LSTCam"`` (ctapipe's ``type_optics_camera``).
    tel_type : str
        One of `TELESCOPE_TYPES`.
    optics : OpticsDescription
    camera : CameraGeometry
    readout : CameraReadout
    """

    name: str
    tel_type: str
    optics: OpticsDescription
    camera: CameraGeometry
    readout: CameraReadout

    @property
    def camera_name(self):
        """Name of the camera."""
        return self.camera.name

    @property
    def focal_length_m(self):
        """Focal length used for image analysis, m."""
        return self.optics.focal_length_m

    def __repr__(self):
        return f"TelescopeDescription({self.name!r}, camera={self.camera.name!r}, n_pixels={self.camera.n_pixels})"
