"""Plotting: pure functions and small display classes, arrays/tables in, matplotlib Figure out.

Nothing here writes files or uses pyplot's global state (figures are created with
`matplotlib.figure.Figure`), so every function is safe under the headless Agg backend and
from worker processes; the ``iactpipe dqm`` command and the workflow rules save them.

* `camera` — `CameraDisplay`, `plot_camera`: any camera geometry, overlays;
* `array` — `plot_array`, `plot_array_gallery`: telescope layout, triggered telescopes, image
  axes, true and reconstructed cores and directions;
* `gallery` — `plot_event_gallery`: example events;
* `benchmarks` — DL2/IRF benchmark plots from plain arrays.
"""
from .array import draw_array, image_axes_on_ground, plot_array, plot_array_gallery
from .benchmarks import (energy_bins, plot_angular_resolution, plot_background_rate, plot_effective_area,
                         plot_energy_bias_resolution, plot_migration_matrix, plot_roc_curves, plot_sensitivity)
from .camera import CameraDisplay, pixel_polygons, plot_camera
from .gallery import plot_event_gallery

__all__ = [
    "CameraDisplay",
    "plot_camera",
    "pixel_polygons",
    "plot_array",
    "plot_array_gallery",
    "draw_array",
    "image_axes_on_ground",
    "plot_event_gallery",
    "energy_bins",
    "plot_angular_resolution",
    "plot_energy_bias_resolution",
    "plot_roc_curves",
    "plot_migration_matrix",
    "plot_effective_area",
    "plot_background_rate",
    "plot_sensitivity",
]
