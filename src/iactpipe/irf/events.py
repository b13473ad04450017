"""Read DL2 files into event tables in pyirf's column contract, plus their simulation runs.

One row per reconstructed array event (a row in the chosen DL2 geometry table), with the
columns pyirf expects (units in brackets):

``obs_id``, ``event_id``, ``particle`` (``gamma``/``proton``/``electron``), ``true_energy``
[TeV], ``true_alt``, ``true_az`` [deg], ``true_core_x/y``, ``true_impact`` [m, core distance
from the array centre], ``pointing_alt``, ``pointing_az`` [deg], ``reco_alt``, ``reco_az``
[deg], ``reco_energy`` [TeV], ``gh_score`` (1 = gamma-like), ``multiplicity``, ``is_valid``
(all three reconstructions succeeded), ``true_source_fov_offset``, ``reco_source_fov_offset``,
``theta`` (reco vs true direction) [deg], ``reco_fov_lon/lat`` [deg, GADF ALTAZ FoV frame].

The run table (`read_runs`) has one row per simulation run with what weighting needs.
"""
import logging

import astropy.units as u
import numpy as np
from astropy.table import QTable, vstack

from ..errors import DataLevelError, InputFileError
from ..io import datamodel as dm
from ..io.hdf5 import open_hdf5, read_table

__all__ = ["PARTICLES", "read_dl2_events", "read_runs", "read_many", "angular_separation_deg", "fov_lonlat",
           "altaz_from_fov"]

log = logging.getLogger(__name__)

#: shower primary id -> particle name
PARTICLES = {0: "gamma", 1: "electron", 101: "proton"}


def angular_separation_deg(lon1, lat1, lon2, lat2):
    """Great-circle distance (deg) between points given in degrees (Vincenty formula)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(x, dtype=float)) for x in (lon1, lat1, lon2, lat2))
    dlon = lon2 - lon1
    num = np.hypot(np.cos(lat2) * np.sin(dlon), np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon))
    den = np.sin(lat1) * np.sin(lat2) + np.cos(lat1) * np.cos(lat2) * np.cos(dlon)
    return np.degrees(np.arctan2(num, den))


def fov_lonlat(az, alt, pointing_az, pointing_alt):
    """GADF ALTAZ field-of-view coordinates (deg) of directions relative to the pointing.

    Same convention as `pyirf.coordinates.gadf_fov_coords_lon_lat` (``fov_lat`` towards
    higher altitude, ``fov_lon`` towards *lower* azimuth, as on the sky seen from inside);
    plain numpy, inverse in `altaz_from_fov`.
    """
    az, alt, paz, palt = (np.radians(np.asarray(x, dtype=float)) for x in (az, alt, pointing_az, pointing_alt))
    # unit vector in a frame whose x axis is the pointing: rotate by -paz about z, then by palt about y
    x = np.cos(alt) * np.cos(az - paz)
    y = np.cos(alt) * np.sin(az - paz)
    z = np.sin(alt)
    x2 = x * np.cos(palt) + z * np.sin(palt)
    z2 = -x * np.sin(palt) + z * np.cos(palt)
    return -np.degrees(np.arctan2(y, x2)), np.degrees(np.arcsin(np.clip(z2, -1, 1)))


def altaz_from_fov(fov_lon, fov_lat, pointing_az, pointing_alt):
    """Inverse of `fov_lonlat`: (az, alt) in deg."""
    lon, lat, paz, palt = (np.radians(np.asarray(x, dtype=float)) for x in (fov_lon, fov_lat, pointing_az, pointing_alt))
    lon = -lon
    x2 = np.cos(lat) * np.cos(lon)
    y = np.cos(lat) * np.sin(lon)
    z2 = np.sin(lat)
    x = x2 * np.cos(palt) - z2 * np.sin(palt)
    z = x2 * np.sin(palt) + z2 * np.cos(palt)
    az = (np.degrees(np.arctan2(y, x)) + np.degrees(paz)) % 360.0
    return az, np.degrees(np.arcsin(np.clip(z, -1, 1)))


def _pointing(h5file, obs_ids, run_table, path):
    """Pointing (az, alt) per obs_id: the first telescope's pointing table, else the run's min_az/min_alt."""
    pointing = {}
    group = "/configuration/telescope/pointing"
    if group in h5file:
        for name in sorted(h5file.get_node(group)._v_children):
            table = read_table(h5file, f"{group}/{name}")
            for row in table.itertuples():
                pointing.setdefault(int(row.obs_id), (float(row.telescope_pointing_azimuth),
                                                      float(row.telescope_pointing_altitude)))
    for row in run_table.itertuples():
        pointing.setdefault(int(row.obs_id), (float(row.min_az), float(row.min_alt)))
    missing = sorted(set(obs_ids) - set(pointing))
    if missing:
        raise DataLevelError(path, f"no pointing for obs_id {missing[:5]}")
    return pointing


def read_runs(path):
    """The simulation runs of a DL2 file, one dict per obs_id.

    Keys: ``obs_id``, ``particle``, ``n_showers`` (thrown showers including reuse: the sum
    of ``n_entries`` of the thrown-shower histogram, else ``n_showers * shower_reuse``),
    ``energy_min``/``energy_max`` [TeV], ``spectral_index``, ``max_impact`` [m],
    ``viewcone_min``/``viewcone_max`` [deg], ``diffuse``, ``pointing_az``/``pointing_alt``
    [deg], ``file``.
    """
    with open_hdf5(path) as h5file:
        if dm.SIMULATION_RUN_PATH not in h5file:
            raise DataLevelError(path, f"has no simulation configuration ({dm.SIMULATION_RUN_PATH}); "
                                       "IRFs need simulated events")
        runs = read_table(h5file, dm.SIMULATION_RUN_PATH)
        thrown = {}
        if dm.SHOWER_DISTRIBUTION_PATH in h5file:
            hist = read_table(h5file, dm.SHOWER_DISTRIBUTION_PATH, columns=["obs_id", "n_entries"])
            thrown = hist.groupby("obs_id")["n_entries"].sum().to_dict()
        particles = {}
        if dm.SHOWER_PATH in h5file:
            shower = read_table(h5file, dm.SHOWER_PATH, columns=["obs_id", "true_shower_primary_id"])
            for obs_id, ids in shower.groupby("obs_id")["true_shower_primary_id"]:
                particles[int(obs_id)] = sorted(set(int(i) for i in ids))
        pointing = _pointing(h5file, runs["obs_id"], runs, path)
    file_particles = sorted({p for ids in particles.values() for p in ids})
    result = []
    for row in runs.itertuples():
        obs_id = int(row.obs_id)
        ids = particles.get(obs_id, file_particles)
        if len(ids) != 1 or ids[0] not in PARTICLES:
            raise DataLevelError(path, f"obs_id {obs_id}: cannot tell the simulated particle "
                                       f"(primary ids {ids}; known {sorted(PARTICLES)})")
        n_showers = int(thrown.get(obs_id, 0)) or int(row.n_showers) * max(int(row.shower_reuse), 1)
        if row.spectral_index > -1:
            raise DataLevelError(path, f"obs_id {obs_id}: spectral index {row.spectral_index} > -1 cannot be weighted")
        result.append(dict(
            obs_id=obs_id, particle=PARTICLES[ids[0]], n_showers=n_showers,
            energy_min=float(row.energy_range_min), energy_max=float(row.energy_range_max),
            spectral_index=float(row.spectral_index), max_impact=float(row.max_scatter_range),
            viewcone_min=float(row.min_viewcone_radius) if row.diffuse else 0.0,
            viewcone_max=float(row.max_viewcone_radius) if row.diffuse else 0.0,
            diffuse=bool(row.diffuse and row.max_viewcone_radius > 0),
            pointing_az=pointing[obs_id][0], pointing_alt=pointing[obs_id][1], file=str(path),
        ))
    return result


def read_dl2_events(path, geometry="HillasReconstructor", energy="LGBMRegressor", classification="LGBMClassifier"):
    """Read the reconstructed events of one DL2 file into a pyirf-style `QTable`.

    Parameters
    ----------
    path : path-like
    geometry, energy, classification : str
        Algorithm names of the DL2 subarray tables to use
        (``/dl2/event/subarray/{geometry,energy,classification}/<name>``).

    Returns
    -------
    astropy.table.QTable
        Columns in the module docstring. Events whose reconstruction failed are kept with
        ``is_valid = False`` (they count as thrown but never pass a selection).

    Raises
    ------
    DataLevelError
        A required table is missing (the message lists the algorithms the file has).
    """
    with open_hdf5(path) as h5file:
        tables = {}
        for kind, name, columns in (
            ("geometry", geometry, ["alt", "az", "is_valid", "multiplicity"]),
            ("energy", energy, ["energy", "is_valid"]),
            ("classification", classification, ["prediction", "is_valid"]),
        ):
            table_path = f"/dl2/event/subarray/{kind}/{name}"
            if table_path not in h5file:
                group = f"/dl2/event/subarray/{kind}"
                have = sorted(h5file.get_node(group)._v_children) if group in h5file else []
                raise DataLevelError(path, f"has no DL2 {kind} table {name!r} (available: {', '.join(have) or 'none'})")
            tables[kind] = read_table(h5file, table_path, columns=["obs_id", "event_id"] + [f"{name}_{c}" for c in columns])
        if dm.SHOWER_PATH not in h5file:
            raise DataLevelError(path, f"has no simulated shower table ({dm.SHOWER_PATH}); IRFs need simulations")
        shower = read_table(h5file, dm.SHOWER_PATH)
        runs = read_table(h5file, dm.SIMULATION_RUN_PATH) if dm.SIMULATION_RUN_PATH in h5file else None
        if runs is None:
            raise DataLevelError(path, f"has no simulation configuration ({dm.SIMULATION_RUN_PATH})")
        pointing = _pointing(h5file, shower["obs_id"].unique(), runs, path)

    keys = ["obs_id", "event_id"]
    frame = tables["geometry"].merge(tables["energy"], on=keys, how="left", validate="one_to_one")
    frame = frame.merge(tables["classification"], on=keys, how="left", validate="one_to_one")
    frame = frame.merge(shower, on=keys, how="inner", validate="one_to_one")
    if len(frame) < len(tables["geometry"]):
        raise InputFileError(path, f"{len(tables['geometry']) - len(frame)} DL2 events have no simulated shower")

    events = QTable()
    events["obs_id"] = frame["obs_id"].to_numpy(np.int64)
    events["event_id"] = frame["event_id"].to_numpy(np.int64)
    primary = frame["true_shower_primary_id"].to_numpy()
    unknown = sorted(set(np.unique(primary)) - set(PARTICLES))
    if unknown:
        raise DataLevelError(path, f"unsupported shower primary id(s) {unknown} (known {sorted(PARTICLES)})")
    events["particle"] = np.array([PARTICLES[int(p)] for p in primary], dtype="U8")
    events["true_energy"] = frame["true_energy"].to_numpy(float) * u.TeV
    events["true_alt"] = frame["true_alt"].to_numpy(float) * u.deg
    events["true_az"] = frame["true_az"].to_numpy(float) * u.deg
    events["true_core_x"] = frame["true_core_x"].to_numpy(float) * u.m
    events["true_core_y"] = frame["true_core_y"].to_numpy(float) * u.m
    events["true_impact"] = np.hypot(events["true_core_x"], events["true_core_y"])
    paz = np.array([pointing[int(o)][0] for o in events["obs_id"]])
    palt = np.array([pointing[int(o)][1] for o in events["obs_id"]])
    events["pointing_az"] = paz * u.deg
    events["pointing_alt"] = palt * u.deg
    events["reco_alt"] = frame[f"{geometry}_alt"].to_numpy(float) * u.deg
    events["reco_az"] = frame[f"{geometry}_az"].to_numpy(float) * u.deg
    events["reco_energy"] = frame[f"{energy}_energy"].to_numpy(float) * u.TeV
    events["gh_score"] = frame[f"{classification}_prediction"].to_numpy(float)
    events["multiplicity"] = frame[f"{geometry}_multiplicity"].fillna(0).to_numpy(np.int64)
    valid = (frame[f"{geometry}_is_valid"].fillna(False).to_numpy(bool)
             & frame[f"{energy}_is_valid"].fillna(False).to_numpy(bool)
             & frame[f"{classification}_is_valid"].fillna(False).to_numpy(bool))
    valid &= np.isfinite(events["reco_alt"].value) & np.isfinite(events["reco_energy"].value)
    valid &= np.isfinite(events["gh_score"]) & (events["reco_energy"].value > 0)
    events["is_valid"] = valid
    t_alt, t_az = events["true_alt"].value, events["true_az"].value
    r_alt, r_az = events["reco_alt"].value, events["reco_az"].value
    events["true_source_fov_offset"] = angular_separation_deg(t_az, t_alt, paz, palt) * u.deg
    events["reco_source_fov_offset"] = angular_separation_deg(r_az, r_alt, paz, palt) * u.deg
    events["theta"] = angular_separation_deg(r_az, r_alt, t_az, t_alt) * u.deg
    lon, lat = fov_lonlat(r_az, r_alt, paz, palt)
    events["reco_fov_lon"] = lon * u.deg
    events["reco_fov_lat"] = lat * u.deg
    lon, lat = fov_lonlat(t_az, t_alt, paz, palt)
    events["true_fov_lon"] = lon * u.deg
    events["true_fov_lat"] = lat * u.deg
    log.info("%s: %d events (%d valid) with %s / %s / %s", path, len(events), int(valid.sum()),
             geometry, energy, classification)
    return events


def read_many(paths, **names):
    """Events (`QTable`) and runs (list of dict) of several DL2 files; obs_ids must be unique."""
    all_events, all_runs, seen = [], [], {}
    for path in paths:
        runs = read_runs(path)
        for run in runs:
            if run["obs_id"] in seen:
                raise InputFileError(path, f"obs_id {run['obs_id']} is also in {seen[run['obs_id']]}; "
                                           "every simulation run must be given once")
            seen[run["obs_id"]] = path
        all_runs.extend(runs)
        all_events.append(read_dl2_events(path, **names))
    events = vstack(all_events, metadata_conflicts="silent") if all_events else QTable()
    return events, all_runs
