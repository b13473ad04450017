"""Per-telescope feature tables from DL2 files, and the training targets.

One row per telescope event: the DL1 image parameters, the telescope's impact distance
and the event's ``h_max`` / ``multiplicity`` from the geometry stage (algorithm
configurable), the telescope pointing and type, and (simulations) the shower truth with
the derived targets:

* ``true_log10_energy`` = log10(true energy / TeV), for the energy regressor;
* ``true_disp`` (deg): signed distance from the image centroid to the true source
  position along the image major axis, in the telescope frame
  (``(src - cog) . (cos psi, sin psi)``); ``|true_disp|`` is the disp-norm target and
  its sign the disp-sign target;
* ``is_gamma``: primary id 0 (gamma).
"""
import numpy as np

from ..errors import InputFileError
from ..io import datamodel as dm

__all__ = ["read_telescope_table", "quality_mask", "true_disp", "disp_position", "TRUTH_COLUMNS"]

#: truth columns kept (when present) for targets and metrics
TRUTH_COLUMNS = ("true_energy", "true_alt", "true_az", "true_core_x", "true_core_y", "true_shower_primary_id")

_GEOMETRY_COLUMNS = ("alt", "az", "h_max", "multiplicity", "is_valid")


def _geometry_table(h5file, path, algorithm):
    from ..io.hdf5 import read_table

    table_path = dm.DL2_SUBARRAY_PATH.format(kind="geometry", algorithm=algorithm)
    if table_path not in h5file:
        raise InputFileError(path, f"has no stereo geometry {table_path}; run 'iactpipe reconstruct' first "
                                   f"(or set geometry_algorithm)")
    columns = [f"{algorithm}_{name}" for name in _GEOMETRY_COLUMNS]
    frame = read_table(h5file, table_path, columns=["obs_id", "event_id", *columns])
    return frame.rename(columns={f"{algorithm}_{name}": f"geometry_{name}" for name in _GEOMETRY_COLUMNS})


def _pointing_table(h5file, path, tel_ids):
    import pandas as pd

    from ..io.hdf5 import read_table

    frames = []
    for tel_id in tel_ids:
        table_path = dm.TELESCOPE_POINTING.path(tel_id=tel_id)
        if table_path not in h5file:
            raise InputFileError(path, f"has no telescope pointing {table_path}")
        frames.append(read_table(h5file, table_path))
    pointing = pd.concat(frames, ignore_index=True)
    return pointing.rename(columns={"telescope_pointing_altitude": "pointing_alt",
                                    "telescope_pointing_azimuth": "pointing_az"})


def read_telescope_table(path, geometry_algorithm="HillasReconstructor", with_truth=True):
    """All telescope events of a DL2 file with features, pointing, type and truth.

    Parameters
    ----------
    path : path-like
        DL2 file written by ``iactpipe reconstruct`` (or ``iactpipe apply``).
    geometry_algorithm : str
        Geometry whose impact distance, ``h_max`` and multiplicity become features.
    with_truth : bool
        Join the shower truth and add the targets (simulations only).

    Returns
    -------
    pandas.DataFrame
        One row per telescope event; ``telescope_type`` is the telescope description
        name (e.g. ``LST_LST_LSTCam``). Angles in deg, energies in TeV, distances in m.
    """
    from ..io.checks import open_hdf5
    from ..io.hdf5 import read_telescope_events
    from ..io.instrument_io import read_subarray_hdf5

    events = read_telescope_events(path, with_shower=with_truth, with_dl2=True)
    impact = f"{geometry_algorithm}_tel_impact_distance"
    if impact not in events:
        raise InputFileError(path, f"has no per-telescope impact table of {geometry_algorithm!r} "
                                   f"({dm.DL2_TELESCOPE_PATH.format(kind='impact', algorithm=geometry_algorithm, tel='tel_NNN')})")
    events = events.rename(columns={impact: "impact_distance"})
    with open_hdf5(path) as h5file:
        geometry = _geometry_table(h5file, path, geometry_algorithm)
        pointing = _pointing_table(h5file, path, np.unique(events["tel_id"]))
    events = events.merge(geometry, on=["obs_id", "event_id"], how="left", validate="many_to_one")
    events = events.merge(pointing, on=["obs_id", "tel_id"], how="left", validate="many_to_one")
    if events["pointing_alt"].isna().any():
        raise InputFileError(path, "telescope pointing missing for some observations")
    events["h_max"] = events["geometry_h_max"]
    events["multiplicity"] = events["geometry_multiplicity"].fillna(0).astype(np.int16)
    subarray = read_subarray_hdf5(path)
    names = {int(t): tel.name for t, tel in zip(subarray.tel_ids, subarray.telescopes)}
    events["telescope_type"] = events["tel_id"].map(names)
    if with_truth:
        events["true_log10_energy"] = np.log10(events["true_energy"].to_numpy())
        events["true_disp"] = true_disp(events)
        events["is_gamma"] = events["true_shower_primary_id"].to_numpy() == 0
    return events


def quality_mask(events, quality):
    """Images usable for training and prediction (bool array).

    Valid DL1 parameters, finite Hillas ellipse with ``width > 0``, intensity above
    ``min_intensity_pe``, at least ``min_pixels`` pixels and leakage (intensity, width
    2) at most ``max_leakage_intensity_width_2``.
    """
    width = events["hillas_width"].to_numpy()
    return (events["is_valid"].to_numpy(bool)
            & np.isfinite(events["hillas_psi"].to_numpy()) & (width > 0)
            & (events["hillas_intensity"].to_numpy() > quality["min_intensity_pe"])
            & (events["morphology_n_pixels"].to_numpy() >= quality["min_pixels"])
            & (events["leakage_intensity_width_2"].to_numpy() <= quality["max_leakage_intensity_width_2"]))


def true_disp(events):
    """Signed true disp (deg): true source minus image centroid, along the major axis."""
    from ..coordinates.frames import horizontal_to_telescope

    src_lon, src_lat = horizontal_to_telescope(events["true_alt"].to_numpy(), events["true_az"].to_numpy(),
                                               events["pointing_alt"].to_numpy(), events["pointing_az"].to_numpy())
    psi = np.deg2rad(events["hillas_psi"].to_numpy())
    return ((src_lon - events["hillas_fov_lon"].to_numpy()) * np.cos(psi)
            + (src_lat - events["hillas_fov_lat"].to_numpy()) * np.sin(psi))


def disp_position(events, disp):
    """Source position (alt, az in deg) of each image for a signed ``disp`` (deg)."""
    from ..coordinates.frames import telescope_to_horizontal

    psi = np.deg2rad(events["hillas_psi"].to_numpy())
    lon = events["hillas_fov_lon"].to_numpy() + disp * np.cos(psi)
    lat = events["hillas_fov_lat"].to_numpy() + disp * np.sin(psi)
    return telescope_to_horizontal(lon, lat, events["pointing_alt"].to_numpy(), events["pointing_az"].to_numpy())
