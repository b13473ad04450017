"""Template-likelihood reconstruction: fit all images of an event at once (ImPACT-like).

For each array event the direction (2), core (2), energy (1) and depth of the shower
maximum (1) are found by minimising ``-2 ln L``, the sum over the selected pixels of all
used telescopes of the pixel likelihood (`iactpipe.reco.likelihood`) of the DL1 signal
given the template prediction (`iactpipe.reco.templates`, interpolated 5-d multilinearly).
The fit is a Levenberg–Marquardt (Fisher-scoring) minimisation with the analytic gradient of the
multilinear template model, or a Nelder–Mead simplex, in numba
(`iactpipe.reco._template_fit_kernels`), seeded
by the Hillas intersection (direction, core) and by the ML energy
(``/dl2/event/subarray/energy/<seed_energy>``) when the input has it, otherwise by a scan
of the template energy nodes.

Pixels: the DL1 cleaning mask dilated by ``dilate_rows`` rings of neighbours, of the
telescopes the seed geometry used. Pedestal: per telescope, the median and the robust
width (1.4826 MAD) of all pixels outside the dilated masks of the file; the median is
subtracted from the signals.

`fit_file` reads a DL1 file with images (``iactpipe process --write-images``) and the DL2
file of the same run (``iactpipe reconstruct``, optionally ``iactpipe apply``), copies the
DL2 file and adds ``/dl2/event/subarray/geometry/<name>`` and
``/dl2/event/subarray/energy/<name>``. Events that cannot be fitted get
``<name>_is_valid = False``, NaN results and a ``<name>_fit_status``; nothing raises for a
bad event.
"""
import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from ..config_values import SectionConfig
from ..errors import ConfigurationError, InputFileError

__all__ = ["TemplateFitConfig", "load_fit_config", "prepare_templates", "fit_file", "FitSummary",
           "geometry_schema", "energy_schema", "STATUS_NAMES", "fit_arrays"]

log = logging.getLogger(__name__)

DEFAULTS = {
    "name": "TemplateFit",
    "seed_geometry": "HillasReconstructor",
    "seed_energy": "LGBMRegressor",
    "min_telescopes": 2,
    "dilate_rows": 2,
    "spe_width": 0.5,
    "gaussian_above_pe": 5.0,
    "max_evaluations": 600,
    "restarts": 0,
    "tolerance": 0.02,
    "step_direction_deg": 0.05,
    "step_core_m": 20.0,
    "step_log10_energy": 0.1,
    "step_depth_g_cm2": 30.0,
    "chunk_events": 2000,
    "max_pointing_mismatch_deg": 5.0,
    "tabulate_likelihood": True,
    "template_uncertainty": 0.2,
    "variance_updates": 1,
    "minimizer": "levenberg-marquardt",
    "refit_above_gof": 10.0,
    "depth_starts_g_cm2": 50.0,
    "all_images": False,
}
_KINDS = {
    "name": (str, None, None), "seed_geometry": (str, None, None), "seed_energy": (str, None, None),
    "min_telescopes": (int, 1, 1000), "dilate_rows": (int, 0, 10), "spe_width": (float, 0.0, 5.0),
    "gaussian_above_pe": (float, 0.0, None), "max_evaluations": (int, 20, 1_000_000), "restarts": (int, 0, 20),
    "tolerance": (float, 1e-9, 1e6), "step_direction_deg": (float, 1e-6, 10.0), "step_core_m": (float, 1e-3, 1e4),
    "step_log10_energy": (float, 1e-5, 3.0), "step_depth_g_cm2": (float, 1e-3, 1e3),
    "chunk_events": (int, 1, 10_000_000), "max_pointing_mismatch_deg": (float, 0.0, 90.0),
    "tabulate_likelihood": (bool, None, None), "template_uncertainty": (float, 0.0, 10.0),
    "variance_updates": (int, 0, 10),
    "minimizer": (str, None, None), "refit_above_gof": (float, 0.0, None),
    "depth_starts_g_cm2": (float, 0.0, 1000.0),
    "all_images": (bool, None, None),
}

#: Grid of the tabulated exact likelihood (expected p.e. step, signal step), p.e.
LIKELIHOOD_TABLE_STEPS = (0.05, 0.1)
#: Below the first expected-p.e. node the table is log-spaced (step in ln mu) down to this mu, p.e.
LIKELIHOOD_TABLE_LOW_MU = 1e-4
LIKELIHOOD_TABLE_LN_STEP = 0.1

#: ``<name>_fit_status`` codes.
STATUS_NAMES = {0: "converged", 1: "evaluation limit", 2: "not fitted (no valid seed or no pixels)",
                3: "non-finite result"}


class TemplateFitConfig(SectionConfig):
    """Validated template-fit settings (the ``template_fit`` config section).

    Parameters
    ----------
    values : dict, optional
        Overrides of `DEFAULTS`, optionally under a ``template_fit:`` key: ``name``
        (output table name and column prefix), ``seed_geometry`` (DL2 geometry table of
        the seed), ``seed_energy`` (DL2 energy table of the seed; "" or a missing table:
        energy scan), ``min_telescopes``, ``dilate_rows``, ``spe_width`` (relative
        single-p.e. width), ``gaussian_above_pe``, ``max_evaluations``, ``restarts``,
        ``tolerance`` (on ``-2 ln L``), ``step_*`` (initial simplex, and half the
        Levenberg–Marquardt trust box: deg, m, log10 E, g/cm²), ``chunk_events``, ``max_pointing_mismatch_deg`` (between the data and the
        templates), ``tabulate_likelihood`` (interpolate the exact sum from a table per
        pedestal width instead of summing per pixel; ~10x faster), ``template_uncertainty`` (relative model
        uncertainty of the templates, added in quadrature to the pixel variance where the
        Gaussian limit is used, as a weight held fixed during a minimisation: first from
        the signal, then ``variance_updates`` times from the model at the minimum, each
        followed by a minimisation from there), ``minimizer`` (``levenberg-marquardt``, default: Fisher
        scoring on the analytic gradient, then ``restarts`` Nelder–Mead polishing runs;
        ``nelder-mead``: simplex with ``restarts`` fresh restarts, ~10x slower),
        ``refit_above_gof`` (events whose goodness of fit exceeds this are refitted from
        the seed geometry with the energy 0.4 dex lower and higher; 0: never),
        ``depth_starts_g_cm2`` (``levenberg-marquardt`` only: two more runs from the
        minimum with the depth offset shifted by ∓ this, g/cm², the lowest ``-2 ln L`` is
        kept; 0: off), ``all_images`` (fit the images of every telescope with a DL1
        image in the event, not only those the seed geometry used).
    """

    SECTION = "template_fit"
    DEFAULTS = DEFAULTS
    SCALARS = _KINDS

    def check_combination(self, merged):
        import re

        for key in ("name", "seed_geometry"):
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", merged[key]):
                raise ConfigurationError(f"template_fit.{key}: {merged[key]!r} is not a usable table/column name")
        if merged["minimizer"] not in ("nelder-mead", "levenberg-marquardt"):
            raise ConfigurationError(f"template_fit.minimizer: expected nelder-mead or levenberg-marquardt, "
                                     f"got {merged['minimizer']!r}")
        if merged["seed_energy"] and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", merged["seed_energy"]):
            raise ConfigurationError(f"template_fit.seed_energy: {merged['seed_energy']!r} is not a table name")

    def steps(self):
        """Initial simplex steps of the 6 parameters."""
        return np.array([self.step_direction_deg, self.step_direction_deg, self.step_core_m, self.step_core_m,
                         self.step_log10_energy, self.step_depth_g_cm2])


def load_fit_config(path=None):
    """`TemplateFitConfig` from a YAML file (defaults if ``path`` is None)."""
    from ..io.yaml_config import load_config_file

    return load_config_file(path, TemplateFitConfig)


# ----------------------------------------------------------------------------- output schemas

def _schemas():
    from ..io import datamodel as dm

    extra = (
        dm.Column("{algorithm}_fit_status", "uint8", None,
                  "0 converged, 1 evaluation limit, 2 not fitted, 3 non-finite "
                  "(iactpipe.reco.template_fit.STATUS_NAMES)"),
        dm.Column("{algorithm}_likelihood", "float64", None, "-2 ln L of the pixels at the minimum"),
        dm.Column("{algorithm}_n_pixels", "int32", None, "Pixels in the likelihood"),
        dm.Column("{algorithm}_n_evaluations", "int32", None,
                  "Objective evaluations of the fit (levenberg-marquardt: passes with the gradient)"),
        dm.Column("{algorithm}_x_max", "float64", "g cm-2", "Fitted slant depth of the shower maximum"),
    )
    base = dm.DL2_SUBARRAY_GEOMETRY
    cols = list(base.columns)
    geometry = dm.TableSchema(name="dl2_subarray_geometry_template_fit", path_template=base.path_template,
                              columns=tuple(cols[:-1]) + extra + (cols[-1],), index_columns=base.index_columns,
                              description=base.description + " Template-likelihood fit columns added.",
                              data_level="dl2")
    return geometry, dm.DL2_SUBARRAY_ENERGY


def geometry_schema():
    """Schema of ``/dl2/event/subarray/geometry/<name>`` (the standard columns plus the fit columns)."""
    return _schemas()[0]


def energy_schema():
    """Schema of ``/dl2/event/subarray/energy/<name>`` (the standard DL2 energy table)."""
    return _schemas()[1]


# ----------------------------------------------------------------------------- templates

@dataclass
class PreparedTemplates:
    """Templates of a library stacked for the kernels.

    Attributes
    ----------
    table : ndarray of float32
        Flattened stack of the per-type tables.
    axes, axis_ptr, strides : ndarray
        Grid of one table (kernel layout; the x axis is the centroid-aligned ``x'`` axis and
        ``axes[axis_ptr[5]:axis_ptr[6]]`` holds the per-node x shifts, deg, see
        `prepare_templates`).
    type_offset : dict of str -> int
        Start of each type's table in ``table``.
    library : TemplateLibrary
    """

    table: np.ndarray
    axes: np.ndarray
    axis_ptr: np.ndarray
    strides: np.ndarray
    type_offset: dict
    library: object


def prepare_templates(library):
    """Stack a `TemplateLibrary` for `fit_arrays` / the kernels, with centroid-aligned images.

    Every node image (fixed log10 E, r, dX) is shifted along ``x`` by its own x centroid
    (`iactpipe.reco.templates.node_x_shifts`, whole bins, so the shift is exact) onto a
    common, longer ``x' = x - shift`` axis; the per-node shifts (deg) are appended to
    ``axes`` as a 6th block (``axes[axis_ptr[5]:axis_ptr[6]]``, node index
    ``(type_offset + corner offset) // strides[2]``). The kernels evaluate a pixel at
    ``x' = x - s̄`` with ``s̄`` the multilinear interpolation of the corner shifts, i.e. the
    8 corner images are aligned on their centroids before they are blended
    (`iactpipe.reco.templates.TemplateLibrary.expected_image` is the reference). Why:
    neighbouring impact nodes differ by ~0.3° in image position above ~120 m (e.g. 0.26°
    between 120 and 140 m, 0.3° per node beyond 200 m at 10 TeV), more than the width of a
    bright high-energy image, so blending unaligned images gives a double image whose
    centroid is pulled towards the brighter (closer) node.
    """
    from .interpolation import flat_axes
    from .templates import node_x_shifts

    names = sorted(library.tables)
    for name in ("x_deg", "y_deg"):
        nodes = library.axes[3 if name == "x_deg" else 4]
        if nodes.size < 2 or not np.allclose(np.diff(nodes), nodes[1] - nodes[0], rtol=1e-6, atol=1e-9):
            raise InputFileError(library.path, f"template axis {name} must be uniform with >= 2 nodes")
    x_nodes = library.axes[3]
    h = x_nodes[1] - x_nodes[0]
    shifts = {n: node_x_shifts(library.tables[n], x_nodes, library.axes[4]) for n in names}
    n_lo = min(0, min(int(s.min()) for s in shifts.values()))
    n_hi = max(0, max(int(s.max()) for s in shifts.values()))
    n_x = x_nodes.size
    # one empty bin at either end: every node image falls off linearly to 0 over one bin
    n_x_new = n_x + n_hi - n_lo + 2
    aligned = []
    for n in names:
        table = library.tables[n]
        out = np.zeros(table.shape[:3] + (n_x_new, table.shape[4]), np.float32)
        flat_in = table.reshape(-1, n_x, table.shape[4])
        flat_out = out.reshape(-1, n_x_new, table.shape[4])
        # x' = x - k h: original bin i goes to new bin i - k + n_hi + 1
        for node, k in enumerate(shifts[n].ravel()):
            start = n_hi + 1 - int(k)
            flat_out[node, start:start + n_x] = flat_in[node]
        aligned.append(out)
    stacked = np.ascontiguousarray(np.stack(aligned), np.float32)
    new_x = x_nodes[0] - (n_hi + 1) * h + h * np.arange(n_x_new)
    axes, ptr = flat_axes(library.axes[:3] + (new_x, library.axes[4]))
    node_shift = np.concatenate([shifts[n].ravel() * h for n in names]).astype(np.float64)
    axes = np.concatenate([axes, node_shift])
    ptr = np.append(ptr, ptr[-1] + node_shift.size).astype(np.int64)
    first = aligned[0]
    strides = np.array(first.strides, np.int64) // first.itemsize
    size = first.size
    return PreparedTemplates(stacked.reshape(-1), axes, ptr, strides,
                             {n: i * size for i, n in enumerate(names)}, library)


# ----------------------------------------------------------------------------- core API

def likelihood_tables(pix_sigma, config):
    """Tabulated exact pixel likelihood per distinct pedestal width (see `_template_fit_kernels._pixel_term`).

    Parameters
    ----------
    pix_sigma : ndarray
        Pedestal width of every pixel, p.e.
    config : TemplateFitConfig

    Returns
    -------
    pix_lik : ndarray of int64
        Table index of each pixel (-1: no table, exact sum).
    lik_table : ndarray of float64, shape (n_classes, n_mu + n_low, n_s)
    lik_grid : ndarray of float64, shape (6,)
        ``(mu step, first signal, signal step, n_mu, ln(lowest mu), ln mu step)`` (p.e.;
        see `_template_fit_kernels._table_lookup`).
    """
    from ._template_fit_kernels import tabulate_likelihood

    pix_sigma = np.asarray(pix_sigma, np.float64)
    limit = float(config.gaussian_above_pe)
    if not config.tabulate_likelihood or not np.isfinite(limit) or limit > 50.0 or pix_sigma.size == 0:
        return (np.full(pix_sigma.size, -1, np.int64), np.zeros((0, 3, 2)),
                np.array([1.0, 0.0, 1.0, 2.0, 0.0, 1.0]))
    values, index = np.unique(pix_sigma, return_inverse=True)
    mu_step, s_step = LIKELIHOOD_TABLE_STEPS
    n_mu = max(int(math.ceil(limit / mu_step)) + 1, 2)
    top = float(values.max())
    s0 = -8.0 * top - 1.0
    s1 = limit + 8.0 * math.sqrt(top ** 2 + limit * (1.0 + config.spe_width ** 2)) + 2.0
    n_s = int(math.ceil((s1 - s0) / s_step)) + 1
    # log-spaced rows from LIKELIHOOD_TABLE_LOW_MU to the first linear node (see _table_lookup)
    ln_low, ln_high = math.log(LIKELIHOOD_TABLE_LOW_MU), math.log(mu_step)
    n_low = int(math.ceil((ln_high - ln_low) / LIKELIHOOD_TABLE_LN_STEP)) + 1
    ln_step = (ln_high - ln_low) / (n_low - 1)
    table = np.empty((values.size, n_mu + n_low, n_s))
    for k, sigma in enumerate(values):
        tabulate_likelihood(float(sigma), float(config.spe_width), mu_step, n_mu, ln_low, ln_step, s0, s_step, n_s,
                            table[k])
    return index.astype(np.int64).ravel(), table, np.array([mu_step, s0, s_step, n_mu, ln_low, ln_step])


def fit_arrays(templates, seeds, scan_energy, event_ptr, tel_x, tel_y, tel_type, pix_ptr, pix_lon, pix_lat, pix_area,
               pix_signal, pix_sigma, event_m, config=None):
    """Run the fit on CSR event arrays (no I/O).

    Parameters
    ----------
    templates : PreparedTemplates
    seeds : ndarray, shape (n_events, 6)
        Start parameters (deg, deg, m, m, log10 TeV, g/cm²).
    scan_energy : ndarray of bool, shape (n_events,)
        Seed the energy by a scan of the grid nodes instead of ``seeds[:, 4]``.
    event_ptr : ndarray of int64, shape (n_events + 1,)
    tel_x, tel_y : ndarray, shape (n_rows,)
        Tilted-frame telescope positions, m.
    tel_type : sequence of str, length n_rows
        Telescope type name of each row (a key of the library).
    pix_ptr : ndarray of int64, shape (n_rows + 1,)
    pix_lon, pix_lat, pix_area, pix_signal, pix_sigma : ndarray, shape (n_pix,)
        Pixel fov position (deg), solid angle (deg²), signal and pedestal width (p.e.).
    event_m : ndarray, shape (n_events, 2, 2)
        `iactpipe.reco.templates.tilted_to_fov_matrix` of each event.
    config : TemplateFitConfig, optional

    Returns
    -------
    dict
        ``params`` (n_events, 6), ``likelihood``, ``goodness_of_fit``, ``n_evaluations``,
        ``status``, ``n_pixels``.
    """
    from ._template_fit_kernels import fit_events

    config = config if isinstance(config, TemplateFitConfig) else TemplateFitConfig(config)
    n = len(seeds)
    f64 = lambda a: np.ascontiguousarray(a, np.float64)  # noqa: E731
    offsets = np.array([templates.type_offset[t] for t in tel_type], np.int64)
    pix_lik, lik_table, lik_grid = likelihood_tables(pix_sigma, config)
    out = {"params": np.empty((n, 6)), "likelihood": np.empty(n), "goodness_of_fit": np.empty(n),
           "n_evaluations": np.zeros(n, np.int64), "status": np.zeros(n, np.int64), "n_pixels": np.zeros(n, np.int64)}
    fit_events(f64(seeds).reshape(n, 6), np.ascontiguousarray(scan_energy, np.bool_),
               np.ascontiguousarray(event_ptr, np.int64), f64(tel_x), f64(tel_y), offsets,
               np.ascontiguousarray(pix_ptr, np.int64), f64(pix_lon), f64(pix_lat), f64(pix_area), f64(pix_signal),
               f64(pix_sigma), pix_lik, lik_table, lik_grid, f64(event_m).reshape(n, 2, 2), templates.table,
                   templates.axes, templates.axis_ptr,
               templates.strides, float(config.spe_width), float(config.gaussian_above_pe),
               float(config.template_uncertainty), int(config.variance_updates), config.steps(),
               int(config.max_evaluations), float(config.tolerance), 0.05, int(config.restarts),
               config.minimizer == "levenberg-marquardt", float(config.depth_starts_g_cm2),
               float(config.refit_above_gof), out["params"],
               out["likelihood"], out["goodness_of_fit"], out["n_evaluations"], out["status"], out["n_pixels"])
    return out


# ----------------------------------------------------------------------------- file processing

@dataclass
class FitSummary:
    """What `fit_file` did (``fit_time_s``: wall time of the fit kernels, ``fit_cpu_s``: their CPU time)."""

    n_events: int
    n_fitted: int
    n_valid: int
    fit_time_s: float
    fit_cpu_s: float
    status_counts: dict
    output: str


def _dilate(masks, neighbors, rows):
    """Masks (n, n_pix) grown by ``rows`` rings of neighbours (sparse adjacency)."""
    from scipy.sparse import csr_matrix

    n_pix = masks.shape[1]
    indptr = np.asarray(neighbors.indptr, np.int64)
    adjacency = csr_matrix((np.ones(indptr[-1], np.float32), np.asarray(neighbors.indices, np.int64), indptr),
                           shape=(n_pix, n_pix))
    out = masks.copy()
    for _ in range(rows):
        out = out | (np.asarray((adjacency @ out.T.astype(np.float32)).T) > 0)
    return out


def _read_events_table(h5, path):
    return h5.get_node(path).read() if path in h5 else None


def _event_keys(obs, event):
    return (np.asarray(obs, np.int64) << 40) | np.asarray(event, np.int64)


#: rows of a telescope's image table (spread evenly over the run) whose unselected pixels
#: give its pedestal estimate: every row of runs up to this size, a bounded sample beyond
PEDESTAL_SAMPLE_ROWS = 2000


class _TelescopeImages:
    """One telescope's DL1 image table, read for a chunk of events at a time.

    On construction only the event keys are read, and the pedestal estimate (median and
    MAD width of the pixels outside the dilated cleaning masks) is taken from up to
    `PEDESTAL_SAMPLE_ROWS` rows spread evenly over the table; `read` then returns the
    images of the rows a chunk of events needs, so memory does not grow with the run.
    Returns None from `open` when the file has no images of the telescope.
    """

    def __init__(self, node, telescope, dilate_rows):
        from ..image.geometry import camera_angles

        self.node = node
        self.neighbors = telescope.camera.neighbors
        self.dilate_rows = int(dilate_rows)
        self.type = telescope.name
        angles = camera_angles(telescope.camera, telescope.optics.focal_length_m)
        self.lon = np.asarray(angles.fov_lon_deg, np.float64)
        self.lat = np.asarray(angles.fov_lat_deg, np.float64)
        self.area = np.asarray(angles.pix_area_deg2, np.float64)
        keys = _event_keys(node.col("obs_id"), node.col("event_id"))
        self.order = np.argsort(keys, kind="stable")
        self.sorted_keys = keys[self.order]
        self.pedestal_median, self.pedestal_width = 0.0, 1.0
        n_rows = int(node.nrows)
        if n_rows:
            sample = np.unique(np.rint(np.linspace(0, n_rows - 1, min(n_rows, PEDESTAL_SAMPLE_ROWS))).astype(np.int64))
            image, selected = self._images(node.read_coordinates(sample))
            background = image[~selected & np.isfinite(image)]
            if background.size > 10:
                self.pedestal_median = float(np.median(background))
                self.pedestal_width = float(1.4826 * np.median(np.abs(background - self.pedestal_median)))
        self.pedestal_width = max(self.pedestal_width, 0.05)

    @classmethod
    def open(cls, h5, subarray, tel_id, dilate_rows):
        from ..io import datamodel as dm

        path = dm.DL1_IMAGES.path(tel_id=int(tel_id))
        if path not in h5:
            return None
        return cls(h5.get_node(path), subarray.telescope(int(tel_id)), dilate_rows)

    def _images(self, rows):
        image = np.asarray(rows["image"], np.float64)
        mask = np.asarray(rows["image_mask"], bool)
        return image, _dilate(mask, self.neighbors, self.dilate_rows) & np.isfinite(image)

    def row_of(self, key):
        """Row of the event ``key`` (`_event_keys`), or -1."""
        k = np.searchsorted(self.sorted_keys, key)
        if k >= len(self.sorted_keys) or self.sorted_keys[k] != key:
            return -1
        return int(self.order[k])

    def read(self, rows):
        """Pedestal-subtracted images and selection masks of table ``rows``: {row: (image, selected)}."""
        rows = np.unique(np.asarray(rows, np.int64))
        if rows.size == 0:
            return {}
        image, selected = self._images(self.node.read_coordinates(rows))
        image -= self.pedestal_median
        return {int(row): (image[k], selected[k]) for k, row in enumerate(rows)}


def fit_file(dl1_path, dl2_path, templates_path, output_path, config=None, argv=None, overwrite=False,
             max_events=None, select=None):
    """Template-fit every event of a run and write a copy of its DL2 file with the fit tables.

    Parameters
    ----------
    dl1_path : path-like
        DL1 file with images (``iactpipe process --write-images``).
    dl2_path : path-like
        DL2 file of the same run (``iactpipe reconstruct`` [+ ``iactpipe apply``]).
    templates_path : path-like
        Template library (``iactpipe make-templates``).
    output_path : path-like
        DL2 file to write (atomically).
    config : TemplateFitConfig or dict, optional
    argv : sequence of str, optional
        Command line for the provenance.
    overwrite : bool
        Replace an existing output.
    max_events : int, optional
        Fit only the first events (the others are written as not fitted); for tests and
        benchmarks.
    select : array_like of bool, optional
        Fit only these events (rows of the seed table); the others are written as not
        fitted.

    Returns
    -------
    FitSummary
    """
    import tables

    from ..coordinates import ground_to_tilted, nominal_to_horizontal, project_to_ground
    from ..io import datamodel as dm
    from ..io.checks import open_hdf5
    from ..io.hdf5 import HDF5Writer, copy_tree
    from ..io.instrument_io import read_subarray_hdf5
    from ..io.provenance import collect_provenance
    from .processor import resolve_pointing
    from .templates import TemplateLibrary, mean_x_max, tilted_to_fov_matrix

    config = config if isinstance(config, TemplateFitConfig) else TemplateFitConfig(config)
    library = TemplateLibrary(templates_path)
    prepared = prepare_templates(library)
    subarray = read_subarray_hdf5(dl1_path)
    missing = sorted({t.name for t in subarray.telescopes} - set(library.tables))
    if missing:
        raise InputFileError(templates_path, f"has no templates for telescope type(s) {', '.join(missing)} "
                                             f"of {dl1_path}")
    n_tels = subarray.n_tels
    geometry_path = dm.DL2_SUBARRAY_GEOMETRY.path(algorithm=config.seed_geometry)
    energy_path = dm.DL2_SUBARRAY_ENERGY.path(algorithm=config.seed_energy) if config.seed_energy else None
    with open_hdf5(dl2_path, required_level="dl2") as h5:
        seed_table = _read_events_table(h5, geometry_path)
        if seed_table is None:
            raise InputFileError(dl2_path, f"has no seed geometry table {geometry_path}")
        energy_table = _read_events_table(h5, energy_path) if energy_path else None
        obs_ids = np.unique(seed_table["obs_id"])
        _, _, array_alt, array_az, _ = resolve_pointing(h5, subarray, obs_ids, dl2_path)
    p = config.seed_geometry + "_"
    n_events = len(seed_table)
    keys = _event_keys(seed_table["obs_id"], seed_table["event_id"])
    obs_index = np.searchsorted(obs_ids, seed_table["obs_id"])
    mismatch = np.hypot(array_alt - library.pointing_alt_deg,
                        (array_az - library.pointing_az_deg) * np.cos(np.deg2rad(array_alt)))
    if np.any(mismatch > config.max_pointing_mismatch_deg):
        raise InputFileError(dl2_path, f"array pointing (alt {array_alt[0]:.1f}, az {array_az[0]:.1f} deg) is more "
                                       f"than {config.max_pointing_mismatch_deg} deg from the templates' "
                                       f"(alt {library.pointing_alt_deg:.1f}, az {library.pointing_az_deg:.1f})")
    # seeds: direction in the nominal frame, core in the tilted frame, energy
    from ..coordinates import horizontal_to_nominal

    seed_alt, seed_az = seed_table[p + "alt"], seed_table[p + "az"]
    lon, lat = horizontal_to_nominal(seed_alt, seed_az, array_alt[obs_index], array_az[obs_index])
    cx, cy, _ = ground_to_tilted(seed_table[p + "core_x"], seed_table[p + "core_y"], 0.0, array_alt[obs_index],
                                 array_az[obs_index])
    seeds = np.column_stack([lon, lat, cx, cy, np.full(n_events, np.nan), np.zeros(n_events)])
    used = np.asarray(seed_table[p + "telescopes"], bool).reshape(n_events, n_tels)
    valid_seed = np.asarray(seed_table[p + "is_valid"], bool) & (used.sum(axis=1) >= config.min_telescopes)
    scan = np.ones(n_events, bool)
    seed_source = "energy scan"
    if energy_table is not None:
        e_keys = _event_keys(energy_table["obs_id"], energy_table["event_id"])
        order = np.argsort(e_keys)
        pos = np.clip(np.searchsorted(e_keys[order], keys), 0, max(len(e_keys) - 1, 0))
        if len(e_keys):
            rows = order[pos]
            found = e_keys[rows] == keys
            e = np.asarray(energy_table[config.seed_energy + "_energy"], float)[rows]
            ok = found & np.asarray(energy_table[config.seed_energy + "_is_valid"], bool)[rows] & (e > 0)
            seeds[ok, 4] = np.log10(e[ok])
            scan = ~ok
            seed_source = f"{config.seed_energy} ({int(ok.sum())} events)"
    if max_events is not None:
        valid_seed[int(max_events):] = False
    if select is not None:
        valid_seed &= np.asarray(select, bool)
    log.info("template fit of %d events (%d with a valid seed), energy seed: %s", n_events, int(valid_seed.sum()),
             seed_source)

    # pixels per telescope
    matrices = np.stack([tilted_to_fov_matrix(a, z) for a, z in zip(array_alt, array_az)])
    tel_tilted = np.stack([np.column_stack(ground_to_tilted(subarray.positions_m[:, 0], subarray.positions_m[:, 1],
                                                            subarray.positions_m[:, 2], a, z)[:2])
                           for a, z in zip(array_alt, array_az)])  # (n_obs, n_tels, 2)
    result = {"params": np.full((n_events, 6), np.nan), "likelihood": np.full(n_events, np.nan),
              "goodness_of_fit": np.full(n_events, np.nan), "n_evaluations": np.zeros(n_events, np.int64),
              "status": np.full(n_events, 2, np.int64), "n_pixels": np.zeros(n_events, np.int64)}
    telescopes_used = np.zeros((n_events, n_tels), bool)
    fit_time = fit_cpu = 0.0
    to_fit = np.flatnonzero(valid_seed)
    with open_hdf5(dl1_path, required_level="dl1") as h5:
        per_tel = {}
        for i, tel_id in enumerate(subarray.tel_ids):
            if used[:, i].any() or config.all_images:
                images = _TelescopeImages.open(h5, subarray, tel_id, config.dilate_rows)
                if images is not None:
                    per_tel[i] = images
        if not per_tel and valid_seed.any():
            raise InputFileError(dl1_path, "has no DL1 images of the telescopes used (process with --write-images)")
        for start in range(0, len(to_fit), config.chunk_events):
            events = to_fit[start:start + config.chunk_events]
            # the image rows of this chunk's events, read per telescope at once
            wanted = [(ev, i, per_tel[i].row_of(keys[ev]))
                      for ev in events for i in (per_tel if config.all_images else np.flatnonzero(used[ev]))
                      if i in per_tel]
            chunk_images = {i: images.read([row for _, j, row in wanted if j == i and row >= 0])
                            for i, images in per_tel.items()}
            event_ptr = [0]
            tel_x, tel_y, tel_type, pix_ptr = [], [], [], [0]
            pl, pb, pa, ps, pw = [], [], [], [], []
            n_wanted = len(wanted)
            w = 0
            for ev in events:
                o = obs_index[ev]
                while w < n_wanted and wanted[w][0] == ev:
                    _, i, row = wanted[w]
                    w += 1
                    if row < 0:
                        continue
                    image, sel = chunk_images[i][row]
                    if not sel.any():
                        continue
                    data = per_tel[i]
                    telescopes_used[ev, i] = True
                    tel_x.append(tel_tilted[o, i, 0])
                    tel_y.append(tel_tilted[o, i, 1])
                    tel_type.append(data.type)
                    pl.append(data.lon[sel])
                    pb.append(data.lat[sel])
                    pa.append(data.area[sel])
                    ps.append(image[sel])
                    pw.append(np.full(int(sel.sum()), data.pedestal_width))
                    pix_ptr.append(pix_ptr[-1] + int(sel.sum()))
                event_ptr.append(len(tel_x))
            cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
            t0, c0 = time.perf_counter(), time.process_time()
            out = fit_arrays(prepared, seeds[events], scan[events], np.array(event_ptr), np.array(tel_x),
                             np.array(tel_y), tel_type, np.array(pix_ptr), cat(pl), cat(pb), cat(pa), cat(ps),
                             cat(pw), matrices[obs_index[events]], config)
            fit_time += time.perf_counter() - t0
            fit_cpu += time.process_time() - c0
            for key, value in out.items():
                result[key][events] = value
    # convert to output quantities
    status = result["status"]
    params = result["params"]
    good = (status <= 1) & np.all(np.isfinite(params), axis=1)
    alt_o, az_o = array_alt[obs_index], array_az[obs_index]
    alt, az = nominal_to_horizontal(params[:, 0], params[:, 1], alt_o, az_o)
    core_x, core_y = project_to_ground(params[:, 2], params[:, 3], alt_o, az_o)
    energy = 10.0 ** params[:, 4]
    x_max = mean_x_max(np.where(good, energy, 1.0)) + params[:, 5]
    h_max = _h_max(x_max, 90.0 - alt, subarray.reference_location.height_m)
    nan = np.full(n_events, np.nan)
    mask = lambda a: np.where(good, a, np.nan)  # noqa: E731
    name = config.name
    q = name + "_"
    geometry_rows = {
        "obs_id": seed_table["obs_id"], "event_id": seed_table["event_id"],
        q + "alt": mask(alt), q + "alt_uncert": nan, q + "az": mask(az), q + "az_uncert": nan,
        q + "ang_distance_uncert": nan, q + "core_x": mask(core_x), q + "core_y": mask(core_y),
        q + "core_uncert_x": nan, q + "core_uncert_y": nan, q + "core_tilted_x": mask(params[:, 2]),
        q + "core_tilted_y": mask(params[:, 3]), q + "core_tilted_uncert_x": nan, q + "core_tilted_uncert_y": nan,
        q + "h_max": mask(h_max), q + "h_max_uncert": nan, q + "is_valid": good,
        q + "goodness_of_fit": mask(result["goodness_of_fit"]),
        q + "average_intensity": nan, q + "multiplicity": telescopes_used.sum(axis=1).astype(np.int16),
        q + "invalid_reason": np.where(good, 0, np.where(valid_seed, 1, 1)).astype(np.uint8) * (~good),
        q + "fit_status": status.astype(np.uint8), q + "likelihood": result["likelihood"],
        q + "n_pixels": result["n_pixels"].astype(np.int32),
        q + "n_evaluations": result["n_evaluations"].astype(np.int32), q + "x_max": mask(x_max),
        q + "telescopes": telescopes_used,
    }
    energy_rows = {"obs_id": seed_table["obs_id"], "event_id": seed_table["event_id"], q + "energy": mask(energy),
                   q + "energy_uncert": nan, q + "is_valid": good,
                   q + "goodness_of_fit": mask(result["goodness_of_fit"]),
                   q + "telescopes": telescopes_used}
    geometry, energy_s = _schemas()
    provenance = collect_provenance("fit-templates", {"template_fit": config.to_dict()},
                                    inputs=[dl1_path, dl2_path, templates_path], argv=argv)
    with open_hdf5(dl2_path, required_level="dl2") as h5, \
            HDF5Writer(output_path, provenance=provenance, overwrite=overwrite) as writer:
        skip = {"/configuration/provenance", dm.DL2_SUBARRAY_GEOMETRY.path(algorithm=name),
                dm.DL2_SUBARRAY_ENERGY.path(algorithm=name)}
        copy_tree(h5, writer.h5file, skip=skip)
        writer.append(geometry, geometry_rows, algorithm=name, dims={"n_tels": n_tels})
        writer.append(energy_s, energy_rows, algorithm=name, dims={"n_tels": n_tels})
    counts = {STATUS_NAMES[int(s)]: int(c) for s, c in zip(*np.unique(status, return_counts=True))}
    n_fitted = int(np.count_nonzero(status <= 1))
    log.info("template fit: %d of %d events valid in %.1f s of fitting (%s)", int(good.sum()), n_events, fit_time,
             counts)
    del tables
    return FitSummary(n_events=n_events, n_fitted=n_fitted, n_valid=int(good.sum()), fit_time_s=fit_time,
                      fit_cpu_s=fit_cpu, status_counts=counts, output=str(output_path))


def _h_max(x_max, zenith_deg, observation_level_m):
    """Height a.s.l. of a slant depth along directions of zenith ``zenith_deg`` (La Palma atmosphere), m."""
    from ..simulation.atmosphere import Atmosphere

    atmosphere = Atmosphere.la_palma(observation_level_m=observation_level_m)
    out = np.full(np.shape(x_max), np.nan)
    ok = np.isfinite(x_max) & (x_max > 0) & np.isfinite(zenith_deg)
    if ok.any():
        out[ok] = atmosphere.slant_depth_to_height(x_max[ok], zenith_deg[ok])
    return out
