"""DL1 file -> DL2 file: join telescope tables into array events, select images, reconstruct, write.

Event synchronisation
---------------------
The array events are the rows of ``/dl1/event/subarray/trigger`` in file order. The
index columns (obs_id, event_id) of the trigger table and of every telescope's
parameter table are read once (12 bytes per row) and each telescope row is mapped to its
event by a sorted-key search, vectorised; rows of events missing from the trigger table
are dropped with a warning. Events are then processed in chunks of ``chunk_events``
consecutive trigger rows: for each telescope, the rows of the chunk's events are one
contiguous slice of its table when the table is in event order (as the DL1 stage writes
it), otherwise they are gathered by coordinates. So memory is bounded by the index
columns plus one chunk of parameters, whatever the file size.

Pointing
--------
Telescope pointings come from ``/configuration/telescope/pointing/tel_NNN`` when present;
otherwise, and for the array pointing, from a fixed pointing in
``/configuration/simulation/run`` (``min_alt == max_alt``, ``min_az == max_az``). A file
with neither is an input error. The resolved pointing tables are written to the output.

Output
------
The input's ``/configuration`` (instrument, simulation runs, pointing), ``/simulation``
(truth) and ``/dl1`` (trigger, parameters; images only with ``with_images``) are copied,
so one file holds what training and IRFs need; then
``/dl2/event/subarray/geometry/<algorithm>`` (one row per array event, file order of the
trigger table) and ``/dl2/event/telescope/impact/<algorithm>/tel_NNN`` (one row per
telescope event).
"""
from dataclasses import dataclass, field
import logging

import numpy as np

from ..errors import InputFileError
from ..io import datamodel as dm
from ._geometry_kernels import REASON_NAMES
from .config import ReconstructConfig
from .geometry import camera_radius_deg, hillas_intersection

__all__ = ["CHUNK_EVENTS", "ReconstructSummary", "reconstruct_file", "resolve_pointing", "EventJoin", "cut_arrays",
           "quality_mask", "reconstruct_chunk"]

log = logging.getLogger(__name__)

#: Array events per chunk (about 40 MB of parameters for 13 telescopes).
CHUNK_EVENTS = 50_000
_EVENT_BITS = 40  # key = obs index << 40 | event_id
_COLUMNS = ("hillas_fov_lon", "hillas_fov_lat", "hillas_psi", "hillas_intensity", "hillas_length", "hillas_width",
            "morphology_n_pixels", "leakage_intensity_width_2", "is_valid")
_PARAMETERS_GROUP = "/dl1/event/telescope/parameters"
_FIXED_TOLERANCE_DEG = 1e-6


@dataclass
class ReconstructSummary:
    """What `reconstruct_file` did."""

    n_events: int
    n_valid: int
    n_telescope_events: int
    n_dropped_rows: int
    reasons: dict = field(default_factory=dict)
    output: str = ""


def _unit_mean_pointing(alt, az):
    alt, az = np.deg2rad(alt), np.deg2rad(az)
    vec = np.stack([np.cos(alt) * np.cos(az), np.cos(alt) * np.sin(az), np.sin(alt)], axis=-1).mean(axis=0)
    return float(np.rad2deg(np.arctan2(vec[2], np.hypot(vec[0], vec[1])))), \
        float(np.rad2deg(np.arctan2(vec[1], vec[0])) % 360.0)


def resolve_pointing(h5file, subarray, obs_ids, file_path):
    """Telescope and array pointing of every observation.

    Parameters
    ----------
    h5file : tables.File
    subarray : iactpipe.instrument.SubarrayDescription
    obs_ids : ndarray of int, shape (n_obs,)
    file_path : path-like
        For error messages.

    Returns
    -------
    tel_alt, tel_az : ndarray, shape (n_obs, n_tels)
        Telescope pointing, deg (subarray telescope order).
    array_alt, array_az : ndarray, shape (n_obs,)
        Array pointing, deg.
    from_tables : bool
        True if the telescope pointings came from pointing tables in the file.

    Raises
    ------
    InputFileError
        No pointing for some observation.
    """
    n_obs, n_tels = len(obs_ids), subarray.n_tels
    tel_alt = np.full((n_obs, n_tels), np.nan)
    tel_az = np.full((n_obs, n_tels), np.nan)
    array_alt = np.full(n_obs, np.nan)
    array_az = np.full(n_obs, np.nan)
    from_tables = False
    for i, tel_id in enumerate(subarray.tel_ids):
        path = dm.TELESCOPE_POINTING.path(tel_id=int(tel_id))
        if path not in h5file:
            continue
        rows = h5file.get_node(path).read()
        j = np.searchsorted(obs_ids, rows["obs_id"])
        ok = (j < n_obs) & (obs_ids[np.minimum(j, n_obs - 1)] == rows["obs_id"])
        tel_alt[j[ok], i] = rows["telescope_pointing_altitude"][ok]
        tel_az[j[ok], i] = rows["telescope_pointing_azimuth"][ok]
        from_tables = True
    if dm.SIMULATION_RUN_PATH in h5file:
        runs = h5file.get_node(dm.SIMULATION_RUN_PATH).read()
        for row in runs:
            k = np.searchsorted(obs_ids, row["obs_id"])
            if k >= n_obs or obs_ids[k] != row["obs_id"]:
                continue
            fixed = (abs(row["max_alt"] - row["min_alt"]) < _FIXED_TOLERANCE_DEG
                     and abs(((row["max_az"] - row["min_az"] + 180.0) % 360.0) - 180.0) < _FIXED_TOLERANCE_DEG)
            if fixed:
                array_alt[k], array_az[k] = row["max_alt"], row["max_az"] % 360.0
    for k in range(n_obs):
        have_tel = np.isfinite(tel_alt[k])
        if not np.isfinite(array_alt[k]) and have_tel.any():
            array_alt[k], array_az[k] = _unit_mean_pointing(tel_alt[k, have_tel], tel_az[k, have_tel])
        if not np.isfinite(array_alt[k]):
            raise InputFileError(file_path, f"has no pointing for obs_id {obs_ids[k]} (neither "
                                            "/configuration/telescope/pointing tables nor a fixed pointing in "
                                            f"{dm.SIMULATION_RUN_PATH})")
        tel_alt[k, ~have_tel] = array_alt[k]
        tel_az[k, ~have_tel] = array_az[k]
    return tel_alt, tel_az, array_alt, array_az, from_tables


class EventJoin:
    """Index of the telescope rows of a DL1 file by array event (see the module docstring).

    Parameters
    ----------
    h5file : tables.File
        Open DL1 file.
    subarray : iactpipe.instrument.SubarrayDescription
    file_path : path-like
        For error messages.

    Attributes
    ----------
    obs_id, event_id : ndarray, shape (n_events,)
        Array events in trigger-table order.
    obs_index : ndarray of int64, shape (n_events,)
        Index of each event's obs_id in `obs_ids`.
    obs_ids : ndarray
        Sorted distinct obs_ids.
    tel_ids : list of int
        Telescopes with a parameter table.
    n_dropped : int
        Telescope rows whose event is not in the trigger table.
    """

    def __init__(self, h5file, subarray, file_path):
        self.h5file = h5file
        if dm.DL1_SUBARRAY_TRIGGER_PATH not in h5file:
            raise InputFileError(file_path, f"has no array trigger table {dm.DL1_SUBARRAY_TRIGGER_PATH}: "
                                            "cannot form array events")
        trigger = h5file.get_node(dm.DL1_SUBARRAY_TRIGGER_PATH)
        self.obs_id = trigger.col("obs_id")
        self.event_id = trigger.col("event_id")
        self.obs_ids = np.unique(self.obs_id)
        self.obs_index = np.searchsorted(self.obs_ids, self.obs_id).astype(np.int64)
        keys = self._keys(self.obs_id, self.event_id, file_path, "trigger table")
        self._key_order = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[self._key_order]
        if len(keys) > 1 and np.any(np.diff(self._sorted_keys) == 0):
            raise InputFileError(file_path, f"{dm.DL1_SUBARRAY_TRIGGER_PATH} has duplicate (obs_id, event_id) rows")
        group = h5file.get_node(_PARAMETERS_GROUP) if _PARAMETERS_GROUP in h5file else None
        names = [] if group is None else sorted(n for n in group._v_children if n.startswith("tel_"))
        if not names:
            raise InputFileError(file_path, f"has no DL1 parameter tables under {_PARAMETERS_GROUP}")
        self.tel_ids = [dm.tel_id_from_table_name(n) for n in names]
        unknown = sorted(set(self.tel_ids) - set(int(t) for t in subarray.tel_ids))
        if unknown:
            raise InputFileError(file_path, f"has DL1 parameters of telescopes {unknown} missing from its instrument")
        self.tel_index = {t: subarray.tel_index(t) for t in self.tel_ids}
        self.tables = {t: h5file.get_node(dm.DL1_PARAMETERS.path(tel_id=t)) for t in self.tel_ids}
        missing = [c for c in _COLUMNS if c not in self.tables[self.tel_ids[0]].colnames]
        if missing:
            raise InputFileError(file_path, f"DL1 parameter tables lack column(s) {', '.join(missing)}")
        self.n_dropped = 0
        self._rows = {}  # tel_id -> (row numbers sorted by event, event positions sorted, contiguous)
        for tel_id, table in self.tables.items():
            obs, ev = table.col("obs_id"), table.col("event_id")
            in_obs = np.isin(obs, self.obs_ids)
            rows_keys = np.full(len(obs), -1, np.int64)
            rows_keys[in_obs] = self._keys(obs[in_obs], ev[in_obs], file_path, table._v_pathname)
            j = np.searchsorted(self._sorted_keys, rows_keys)
            j = np.minimum(j, max(len(self._sorted_keys) - 1, 0))
            found = in_obs & (self._sorted_keys[j] == rows_keys) if len(self._sorted_keys) else np.zeros(len(obs), bool)
            self.n_dropped += int(np.count_nonzero(~found))
            rows = np.flatnonzero(found)
            position = self._key_order[j[found]]
            order = np.argsort(position, kind="stable")
            rows, position = rows[order], position[order]
            contiguous = bool(len(rows) == 0 or (rows[-1] - rows[0] + 1 == len(rows) and np.all(np.diff(rows) == 1)))
            self._rows[tel_id] = (rows, position, contiguous)

    @property
    def n_events(self):
        """Number of array events."""
        return len(self.obs_id)

    @property
    def n_rows(self):
        """Telescope rows that belong to an array event."""
        return sum(len(r[0]) for r in self._rows.values())

    def _keys(self, obs_id, event_id, file_path, what):
        event_id = np.asarray(event_id, np.int64)
        if len(event_id) and (event_id.min() < 0 or event_id.max() >= (1 << _EVENT_BITS)):
            raise InputFileError(file_path, f"{what}: event_id outside [0, 2^{_EVENT_BITS})")
        return (np.searchsorted(self.obs_ids, obs_id).astype(np.int64) << _EVENT_BITS) | event_id

    def read_chunk(self, start, stop):
        """Telescope rows of the events ``start:stop`` (trigger-table positions), sorted by event.

        Returns
        -------
        dict
            ``event_ptr`` (n + 1), ``tel_id``, ``tel_index``, ``table_row`` (row in its
            telescope table), ``order`` (rows are ``concatenated[order]``), ``blocks``
            (tel_id -> slice of the concatenated, unsorted rows) and the `_COLUMNS`.
        """
        parts, tel_index, tel_ids, events, table_rows, blocks = [], [], [], [], [], {}
        offset = 0
        for tel_id in self.tel_ids:
            rows, position, contiguous = self._rows[tel_id]
            i0, i1 = np.searchsorted(position, [start, stop])
            if i1 <= i0:
                continue
            table = self.tables[tel_id]
            selected = rows[i0:i1]
            if contiguous:
                data = table.read(start=int(selected[0]), stop=int(selected[-1]) + 1)
            else:
                data = table.read_coordinates(selected)
            parts.append(data)
            n = i1 - i0
            tel_index.append(np.full(n, self.tel_index[tel_id], np.int64))
            tel_ids.append(np.full(n, tel_id, np.int16))
            events.append(position[i0:i1] - start)
            table_rows.append(selected)
            blocks[tel_id] = slice(offset, offset + n)
            offset += n
        n_events = stop - start
        if not parts:
            empty = np.zeros(0)
            chunk = {c: empty for c in _COLUMNS}
            chunk.update(event_ptr=np.zeros(n_events + 1, np.int64), tel_index=np.zeros(0, np.int64),
                         tel_id=np.zeros(0, np.int16), order=np.zeros(0, np.int64), blocks={},
                         table_row=np.zeros(0, np.int64), event=np.zeros(0, np.int64))
            return chunk
        event = np.concatenate(events)
        order = np.argsort(event, kind="stable")
        chunk = {c: np.concatenate([p[c] for p in parts])[order] for c in _COLUMNS}
        counts = np.bincount(event, minlength=n_events)
        chunk.update(event_ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
                     tel_index=np.concatenate(tel_index)[order], tel_id=np.concatenate(tel_ids)[order],
                     order=order, blocks=blocks, table_row=np.concatenate(table_rows), event=event[order])
        return chunk


def cut_arrays(config, subarray):
    """Per-telescope quality cuts of ``config`` as arrays over the subarray's telescopes (for `quality_mask`)."""
    cuts = [config.cuts_for(subarray.telescope(int(t))) for t in subarray.tel_ids]
    return {
        "min_intensity": np.array([c.min_intensity_pe for c in cuts]),
        "min_pixels": np.array([c.min_pixels for c in cuts]),
        "max_leakage": np.array([c.max_leakage_intensity_width_2 for c in cuts]),
        "require_valid": np.array([c.require_valid for c in cuts]),
    }


def quality_mask(chunk, cuts):
    """Images passing the per-telescope quality cuts (see `iactpipe.reco.config`)."""
    t = chunk["tel_index"]
    with np.errstate(invalid="ignore"):
        use = chunk["hillas_intensity"] > cuts["min_intensity"][t]
        use &= chunk["morphology_n_pixels"] >= cuts["min_pixels"][t]
        use &= ~(chunk["leakage_intensity_width_2"] > cuts["max_leakage"][t])
        use &= chunk["hillas_width"] > 0
    use &= chunk["is_valid"].astype(bool) | ~cuts["require_valid"][t]
    return use


def _copy_inputs(h5file, out, with_images):
    """Copy configuration, simulation truth and DL1 (chunked by PyTables) into the output file."""
    from ..io.hdf5 import copy_tree

    skip = {"/configuration/provenance"} | (set() if with_images else {"/dl1/event/telescope/images"})
    copy_tree(h5file, out, tops=("/configuration", "/simulation", "/dl1"), skip=skip)


def _write_pointing(writer, h5file, subarray, obs_ids, tel_alt, tel_az):
    for i, tel_id in enumerate(subarray.tel_ids):
        if dm.TELESCOPE_POINTING.path(tel_id=int(tel_id)) in h5file:
            continue
        writer.append(dm.TELESCOPE_POINTING, {
            "obs_id": obs_ids.astype(np.int32), "tel_id": np.full(len(obs_ids), tel_id, np.int16),
            "telescope_pointing_azimuth": tel_az[:, i], "telescope_pointing_altitude": tel_alt[:, i]},
            tel_id=int(tel_id))


def _geometry_rows(algorithm, obs_id, event_id, events):
    p = f"{algorithm}_"
    n = len(obs_id)
    nan = np.full(n, np.nan)
    err = events["ang_distance_uncert"]
    columns = {"obs_id": obs_id, "event_id": event_id,
               p + "alt": events["alt"], p + "alt_uncert": err, p + "az": events["az"], p + "az_uncert": err,
               p + "ang_distance_uncert": err,
               p + "core_x": events["core_x"], p + "core_y": events["core_y"],
               p + "core_uncert_x": nan, p + "core_uncert_y": nan,
               p + "core_tilted_x": events["core_tilted_x"], p + "core_tilted_y": events["core_tilted_y"],
               p + "core_tilted_uncert_x": nan, p + "core_tilted_uncert_y": nan,
               p + "h_max": events["h_max"], p + "h_max_uncert": nan,
               p + "is_valid": events["is_valid"], p + "goodness_of_fit": nan,
               p + "average_intensity": events["average_intensity"],
               p + "multiplicity": events["multiplicity"], p + "invalid_reason": events["invalid_reason"],
               p + "telescopes": events["telescopes"]}
    return columns


def reconstruct_chunk(chunk, pointing, telescope, cuts, config):
    """Quality selection and `hillas_intersection` for one chunk from `EventJoin.read_chunk`.

    Parameters
    ----------
    chunk : dict
        From `EventJoin.read_chunk`, plus ``obs_index`` (per event of the chunk).
    pointing : tuple of ndarray
        ``tel_alt, tel_az`` (n_obs, n_tels) and ``array_alt, array_az`` (n_obs,), deg
        (`resolve_pointing`).
    telescope : dict
        ``positions`` (n_tels, 3) m, ``cam_radius`` (n_tels,) deg, ``reference_height`` m.
    cuts : dict
        From `cut_arrays`.
    config : ReconstructConfig

    Returns
    -------
    events, rows : dict
        As `hillas_intersection`; ``rows`` in the chunk's sorted order, plus ``use``.
    """
    tel_alt, tel_az, array_alt, array_az = pointing
    use = quality_mask(chunk, cuts)
    obs = chunk["obs_index"]
    row_obs = obs[chunk["event"]]
    events, rows = hillas_intersection(
        chunk["event_ptr"], chunk["tel_index"], chunk["hillas_fov_lon"], chunk["hillas_fov_lat"],
        chunk["hillas_psi"], chunk["hillas_intensity"], chunk["hillas_length"], chunk["hillas_width"], use,
        tel_alt[row_obs, chunk["tel_index"]], tel_az[row_obs, chunk["tel_index"]], array_alt[obs], array_az[obs],
        telescope["positions"], telescope["cam_radius"], telescope["reference_height"],
        min_telescopes=config.min_telescopes, min_plane_angle_deg=config.min_plane_angle_deg)
    rows["use"] = use
    return events, rows


def reconstruct_file(input_path, output_path, config=None, chunk_events=CHUNK_EVENTS, with_images=False,
                     argv=None, overwrite=False):
    """Reconstruct the stereo geometry of every array event of a DL1 file (see module docstring).

    Parameters
    ----------
    input_path : path-like
        DL1 HDF5 file written by ``iactpipe process``.
    output_path : path-like
        DL2 HDF5 file to write (atomically: ``.partial`` then rename).
    config : ReconstructConfig or dict or None
        Reconstruction configuration (defaults if None).
    chunk_events : int
        Array events per chunk (bounds memory).
    with_images : bool
        Also copy DL1 images to the output.
    argv : list of str, optional
        Command line for the provenance.
    overwrite : bool
        Replace an existing output file.

    Returns
    -------
    ReconstructSummary
    """
    from ..io.checks import open_hdf5
    from ..io.hdf5 import HDF5Writer
    from ..io.instrument_io import read_subarray_hdf5
    from ..io.provenance import collect_provenance

    if not isinstance(config, ReconstructConfig):
        config = ReconstructConfig(config)
    chunk_events = int(chunk_events)
    if chunk_events < 1:
        from ..errors import ConfigurationError

        raise ConfigurationError(f"chunk_events must be >= 1, got {chunk_events}")
    with open_hdf5(input_path, required_level="dl1") as h5file:
        subarray = read_subarray_hdf5(input_path)
        config.check_subarray(subarray)
        join = EventJoin(h5file, subarray, input_path)
        if join.n_dropped:
            log.warning("%s: %d telescope rows belong to no event of the trigger table; ignored",
                        input_path, join.n_dropped)
        tel_alt, tel_az, array_alt, array_az, _ = resolve_pointing(h5file, subarray, join.obs_ids, input_path)
        telescope = {"positions": subarray.positions_m,
                     "cam_radius": np.array([camera_radius_deg(t) for t in subarray.telescopes]),
                     "reference_height": subarray.reference_location.height_m}
        cuts = cut_arrays(config, subarray)
        algorithm = config.algorithm
        reasons = np.zeros(256, np.int64)
        n_valid = 0
        n_tels = subarray.n_tels
        with HDF5Writer(output_path, overwrite=overwrite) as writer:
            _copy_inputs(h5file, writer.h5file, with_images)
            _write_pointing(writer, writer.h5file, subarray, join.obs_ids, tel_alt, tel_az)
            geometry = writer.table(dm.DL2_SUBARRAY_GEOMETRY, algorithm=algorithm, dims={"n_tels": n_tels},
                                    expected_rows=max(join.n_events, 1))
            for start in range(0, join.n_events, chunk_events):
                stop = min(start + chunk_events, join.n_events)
                chunk = join.read_chunk(start, stop)
                chunk["obs_index"] = join.obs_index[start:stop]
                events, rows = reconstruct_chunk(chunk, (tel_alt, tel_az, array_alt, array_az), telescope,
                                                 cuts, config)
                geometry.append(_geometry_rows(algorithm, join.obs_id[start:stop], join.event_id[start:stop],
                                               events))
                reasons += np.bincount(events["invalid_reason"], minlength=256)
                n_valid += int(np.count_nonzero(events["is_valid"]))
                # per-telescope rows back in table order
                unsorted = {k: np.empty_like(v) for k, v in rows.items()}
                for k, v in rows.items():
                    unsorted[k][chunk["order"]] = v
                event_pos = np.empty(len(chunk["event"]), np.int64)
                event_pos[chunk["order"]] = chunk["event"]
                for tel_id, block in chunk["blocks"].items():
                    table_row = chunk["table_row"][block]
                    ev = event_pos[block] + start
                    p = f"{algorithm}_tel_"
                    writer.append(dm.DL2_TELESCOPE_IMPACT, {
                        "obs_id": join.obs_id[ev], "event_id": join.event_id[ev],
                        "tel_id": np.full(len(table_row), tel_id, np.int16),
                        p + "impact_distance": unsorted["impact_distance"][block],
                        p + "impact_distance_uncert": np.full(len(table_row), np.nan),
                        p + "disp": unsorted["disp"][block], p + "miss": unsorted["miss"][block]},
                        tel_id=tel_id, algorithm=algorithm)
            writer.provenance = collect_provenance(
                "reconstruct", {"reconstruct": config.to_dict(), "chunk_events": chunk_events,
                                "with_images": bool(with_images)}, inputs=[input_path], argv=argv)
    reason_counts = {REASON_NAMES.get(code, str(code)): int(count) for code, count in enumerate(reasons) if count}
    log.info("reconstructed %d of %d events (%s)", n_valid, join.n_events, reason_counts)
    return ReconstructSummary(n_events=join.n_events, n_valid=n_valid, n_telescope_events=join.n_rows,
                              n_dropped_rows=join.n_dropped, reasons=reason_counts, output=str(output_path))
