"""DL1 -> DL2 stereo reconstruction: event synchronisation, quality selection, Hillas-plane intersection.

`hillas_intersection` is the vectorised geometry (ctapipe's HillasReconstructor over many
events at once); `reconstruct_file` joins the telescope tables of a DL1 file into array
events chunk by chunk, selects the images, reconstructs and writes a DL2 file
(`iactpipe reconstruct`); `resolution` measures angular and core resolution against the
simulation truth.
"""
from ._geometry_kernels import REASON_NAMES
from .config import ReconstructConfig, load_config
from .geometry import camera_radius_deg, hillas_intersection

__all__ = ["REASON_NAMES", "ReconstructConfig", "load_config", "camera_radius_deg", "hillas_intersection",
           "reconstruct_file"]


def __getattr__(name):
    if name == "reconstruct_file":
        from .processor import reconstruct_file

        return reconstruct_file
    raise AttributeError(name)
