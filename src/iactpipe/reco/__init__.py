"""DL1 -> DL2 stereo reconstruction: event synchronisation, quality selection, Hillas-plane intersection.

`hillas_intersection` is the vectorised geometry (ctapipe's HillasReconstructor over many
events at once); `reconstruct_file` joins the telescope tables of a DL1 file into array
events chunk by chunk, selects the images, reconstructs and writes a DL2 file
(`iactpipe reconstruct`); `resolution` measures angular and core resolution against the
simulation truth. `template_fit` (with `templates`, `interpolation`, `likelihood`) is the
template-likelihood reconstruction (`iactpipe make-templates`, `iactpipe fit-templates`).
"""
from ._geometry_kernels import REASON_NAMES
from .config import ReconstructConfig, load_config
from .geometry import camera_radius_deg, hillas_intersection

__all__ = ["REASON_NAMES", "ReconstructConfig", "load_config", "camera_radius_deg", "hillas_intersection",
           "reconstruct_file", "GridInterpolator", "TemplateConfig", "TemplateLibrary", "make_templates",
           "TemplateFitConfig", "fit_file", "pixel_neg2_log_likelihood"]

#: Names loaded on first use (template-likelihood reconstruction; see docs/likelihood.md).
_LAZY = {
    "reconstruct_file": "processor",
    "GridInterpolator": "interpolation",
    "TemplateConfig": "templates",
    "TemplateLibrary": "templates",
    "make_templates": "templates",
    "TemplateFitConfig": "template_fit",
    "fit_file": "template_fit",
    "pixel_neg2_log_likelihood": "likelihood",
}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
