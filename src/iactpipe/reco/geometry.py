"""Stereo geometry from Hillas parameters: the public, unit-aware layer over the numba kernels.

`hillas_intersection` reconstructs many array events at once from telescope rows in a
CSR layout (rows sorted by event, ``event_ptr`` marking where each event starts). It is
ctapipe's ``HillasReconstructor`` (see `iactpipe.reco._geometry_kernels` for the
algorithm and its weights), vectorised over events, with two deliberate differences:

* events are never silently wrong: an event without at least ``min_telescopes`` usable
  images, with all image planes within ``min_plane_angle_deg`` of each other, or whose
  core / h_max normal equations are singular gets ``is_valid = False``, NaN results and
  an ``invalid_reason`` code (`REASON_NAMES`);
* the direction uncertainty skips pairs of identical planes (ctapipe returns NaN).

Per telescope row it also gives the impact distance of the telescope to the
reconstructed shower axis (for every row of a valid event, used or not, as ctapipe) and
the *disp* of the image: the signed distance from the image centroid to the
reconstructed direction along the major axis, and the *miss* across it (telescope
frame, deg).
"""
import numpy as np

from ._geometry_kernels import REASON_NAMES, REASON_VALID, reconstruct_events

__all__ = ["REASON_NAMES", "camera_radius_deg", "hillas_intersection", "EVENT_FIELDS", "ROW_FIELDS"]

#: Per-event outputs of `hillas_intersection` (besides telescopes, multiplicity, is_valid, invalid_reason).
EVENT_FIELDS = ("alt", "az", "ang_distance_uncert", "core_x", "core_y", "core_tilted_x", "core_tilted_y",
                "h_max", "average_intensity")
#: Per-row outputs of `hillas_intersection`.
ROW_FIELDS = ("impact_distance", "disp", "miss")


def camera_radius_deg(telescope):
    """Camera radius as ctapipe's ``HillasReconstructor`` uses it, deg.

    ctapipe's ``CameraGeometry.guess_radius``: mean distance of the border pixels (fewer
    neighbours than the most connected pixel) from the mean pixel position, turned into
    an angle with the telescope's focal length (linear mapping).

    Parameters
    ----------
    telescope : iactpipe.instrument.TelescopeDescription

    Returns
    -------
    float
        Radius, deg. It only scales the length of each image's plane normal, i.e. the
        relative weight of the telescope types in the direction average.
    """
    camera = telescope.camera
    n_neighbors = np.asarray(camera.n_neighbors)
    border = n_neighbors < n_neighbors.max()
    if not border.any():
        border = np.ones(camera.n_pixels, bool)
    radius_m = np.hypot(camera.pix_x[border] - camera.pix_x.mean(), camera.pix_y[border] - camera.pix_y.mean()).mean()
    return float(np.rad2deg(radius_m / telescope.focal_length_m))


def _as(values, dtype, n, name):
    array = np.ascontiguousarray(values, dtype=dtype)
    if array.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},), got {array.shape}")
    return array


def hillas_intersection(event_ptr, tel_index, fov_lon_deg, fov_lat_deg, psi_deg, intensity_pe, length_deg,
                        width_deg, use, tel_alt_deg, tel_az_deg, array_alt_deg, array_az_deg, tel_positions_m,
                        cam_radius_deg, reference_height_m, min_telescopes=2, min_plane_angle_deg=1.0):
    """Reconstruct direction, core and h_max of many array events from their Hillas parameters.

    Parameters
    ----------
    event_ptr : array_like of int, shape (n_events + 1,)
        Rows of event ``i`` are ``event_ptr[i]:event_ptr[i + 1]`` (non-decreasing, starts at 0).
    tel_index : array_like of int, shape (n_rows,)
        Index of each row's telescope into ``tel_positions_m`` / ``cam_radius_deg``.
    fov_lon_deg, fov_lat_deg : array_like of float, shape (n_rows,)
        Image centroid in the telescope frame, deg.
    psi_deg : array_like of float, shape (n_rows,)
        Major-axis angle in the telescope frame (from fov_lon towards fov_lat), deg.
    intensity_pe : array_like of float, shape (n_rows,)
        Image intensity, p.e.
    length_deg, width_deg : array_like of float, shape (n_rows,)
        Hillas length and width, deg.
    use : array_like of bool, shape (n_rows,)
        Rows selected for the reconstruction. Rows with non-finite centroid, psi,
        intensity, length or width, or ``width <= 0``, are dropped from it here.
    tel_alt_deg, tel_az_deg : array_like of float, shape (n_rows,)
        Pointing of each row's telescope, deg.
    array_alt_deg, array_az_deg : array_like of float, shape (n_events,)
        Array pointing per event (defines the tilted frame), deg.
    tel_positions_m : array_like of float, shape (n_tels, 3)
        Ground-frame positions (x North, y West, z up), m.
    cam_radius_deg : array_like of float, shape (n_tels,)
        Camera radius per telescope (`camera_radius_deg`), deg.
    reference_height_m : float
        Height of the ground frame origin above sea level, m (added to h_max).
    min_telescopes : int
        Usable images an event needs, >= 2.
    min_plane_angle_deg : float
        The largest angle between any two image planes of an event must exceed this, deg.

    Returns
    -------
    events : dict of ndarray, length n_events
        `EVENT_FIELDS` (alt, az, ang_distance_uncert in deg; core_x, core_y,
        core_tilted_x, core_tilted_y, h_max in m; average_intensity in p.e.), plus
        ``is_valid`` (bool), ``invalid_reason`` (uint8, `REASON_NAMES`),
        ``multiplicity`` (int16, images used) and ``telescopes`` (bool, (n_events, n_tels)).
    rows : dict of ndarray, length n_rows
        `ROW_FIELDS`: impact_distance (m), disp and miss (deg); NaN for rows of invalid events.
    """
    event_ptr = np.ascontiguousarray(event_ptr, dtype=np.int64)
    n_events = len(event_ptr) - 1
    if n_events < 0 or (n_events >= 0 and event_ptr[0] != 0) or np.any(np.diff(event_ptr) < 0):
        raise ValueError("event_ptr must start at 0 and be non-decreasing")
    n_rows = int(event_ptr[-1])
    tel_positions = np.ascontiguousarray(tel_positions_m, dtype=np.float64).reshape(-1, 3)
    n_tels = len(tel_positions)
    cam_radius = _as(cam_radius_deg, np.float64, n_tels, "cam_radius_deg")
    tel_index = _as(tel_index, np.int64, n_rows, "tel_index")
    if n_rows and (tel_index.min() < 0 or tel_index.max() >= n_tels):
        raise ValueError("tel_index out of range of tel_positions_m")
    f64 = {name: _as(values, np.float64, n_rows, name) for name, values in (
        ("fov_lon_deg", fov_lon_deg), ("fov_lat_deg", fov_lat_deg), ("psi_deg", psi_deg),
        ("intensity_pe", intensity_pe), ("length_deg", length_deg), ("width_deg", width_deg),
        ("tel_alt_deg", tel_alt_deg), ("tel_az_deg", tel_az_deg))}
    use = _as(use, bool, n_rows, "use")
    finite = np.ones(n_rows, bool)
    for name in ("fov_lon_deg", "fov_lat_deg", "psi_deg", "intensity_pe", "length_deg", "width_deg"):
        finite &= np.isfinite(f64[name])
    with np.errstate(invalid="ignore"):
        use = use & finite & (f64["width_deg"] > 0)
    array_alt = _as(array_alt_deg, np.float64, n_events, "array_alt_deg")
    array_az = _as(array_az_deg, np.float64, n_events, "array_az_deg")
    if int(min_telescopes) < 2:
        raise ValueError("min_telescopes must be >= 2")

    out_float = np.empty((n_events, len(EVENT_FIELDS)))
    out_reason = np.empty(n_events, np.uint8)
    out_multiplicity = np.empty(n_events, np.int16)
    out_mask = np.empty((n_events, n_tels), bool)
    row_out = np.empty((n_rows, len(ROW_FIELDS)))
    reconstruct_events(event_ptr, tel_index, use, f64["fov_lon_deg"], f64["fov_lat_deg"], f64["psi_deg"],
                       f64["intensity_pe"], f64["length_deg"], f64["width_deg"], f64["tel_alt_deg"],
                       f64["tel_az_deg"], array_alt, array_az, tel_positions, cam_radius,
                       float(reference_height_m), int(min_telescopes),
                       float(np.sin(np.deg2rad(min_plane_angle_deg))),
                       out_float, out_reason, out_multiplicity, out_mask, row_out)
    events = {name: out_float[:, i] for i, name in enumerate(EVENT_FIELDS)}
    events.update(is_valid=out_reason == REASON_VALID, invalid_reason=out_reason, multiplicity=out_multiplicity,
                  telescopes=out_mask)
    rows = {name: row_out[:, i] for i, name in enumerate(ROW_FIELDS)}
    return events, rows
