"""Pick example events of a DL1 file for the event gallery (`iactpipe.visualization.gallery`)."""
import numpy as np

from ..coordinates import horizontal_to_telescope
from ..errors import DataLevelError
from ..io import datamodel as dm
from ..io.checks import open_hdf5
from ..io.hdf5 import read_table

__all__ = ["example_events", "array_examples"]


def _pointing(h5file, raw_path, tel_id):
    """(alt, az) of a telescope, deg, from the DL1 file or else the raw file; None if unknown."""
    path = dm.TELESCOPE_POINTING_PATH.format(tel=dm.tel_table_name(tel_id))
    if path in h5file:
        row = h5file.get_node(path).read()[0]
    elif raw_path is not None:
        with open_hdf5(raw_path) as raw:
            if path not in raw:
                return None
            row = raw.get_node(path).read()[0]
    else:
        return None
    return float(row["telescope_pointing_altitude"]), float(row["telescope_pointing_azimuth"])


def example_events(dl1_path, n_events=6, min_intensity_pe=100.0, raw_path=None):
    """The brightest-but-contained images of a DL1 file, ready for `plot_event_gallery`.

    Images with ``leakage_intensity_width_2 < 0.2`` and intensity above
    ``min_intensity_pe`` are preferred, spread over the intensity range (quantiles),
    at most one per telescope event.

    The true source position is drawn when the telescope pointing is known (DL1 file,
    or else ``raw_path``).

    Returns
    -------
    list of dict
        Empty if the file has no DL1 images.
    """
    from ..io.instrument_io import read_subarray_hdf5
    from .summary import read_parameters

    subarray = read_subarray_hdf5(dl1_path)
    with open_hdf5(dl1_path, required_level="dl1") as h5file:
        if "/dl1/event/telescope/images" not in h5file:
            return []
        params = read_parameters(h5file)
        image_tables = h5file.get_node("/dl1/event/telescope/images")._v_children
        images_present = {dm.tel_id_from_table_name(n) for n in image_tables if n.startswith("tel_")}
        params = params[params["tel_id"].isin(images_present)]
        intensity = params["hillas_intensity"].to_numpy(float)
        leakage = params["leakage_intensity_width_2"].to_numpy(float)
        good = np.isfinite(intensity) & (intensity > min_intensity_pe) & (leakage < 0.2)
        if not good.any():
            good = np.isfinite(intensity)
        candidates = params[good].sort_values("hillas_intensity")
        if len(candidates) == 0:
            return []
        picks = np.unique(np.linspace(0, len(candidates) - 1, min(n_events, len(candidates))).round().astype(int))
        chosen = candidates.iloc[picks]
        shower = read_table(h5file, dm.SHOWER_PATH) if dm.SHOWER_PATH in h5file else None
        events = []
        for _, row in chosen.iterrows():
            tel_id = int(row["tel_id"])
            telescope = subarray.telescope(tel_id)
            table = h5file.get_node(dm.DL1_IMAGES_PATH.format(tel=dm.tel_table_name(tel_id)))
            hits = table.get_where_list(f"(obs_id == {int(row['obs_id'])}) & (event_id == {int(row['event_id'])})")
            if len(hits) == 0:
                continue
            record = table.read_coordinates(hits[:1])[0]
            true_source = None
            pointing = _pointing(h5file, raw_path, tel_id) if shower is not None else None
            if pointing is not None:
                match = shower[(shower["obs_id"] == row["obs_id"]) & (shower["event_id"] == row["event_id"])]
                if len(match):
                    lon, lat = horizontal_to_telescope(float(match["true_alt"].iloc[0]),
                                                       float(match["true_az"].iloc[0]), *pointing)
                    true_source = (float(lon), float(lat))
            energy = ""
            if shower is not None:
                match = shower[(shower["obs_id"] == row["obs_id"]) & (shower["event_id"] == row["event_id"])]
                if len(match):
                    energy = f", E = {float(match['true_energy'].iloc[0]):.2f} TeV"
            events.append({
                "geometry": telescope.camera,
                "focal_length_m": telescope.focal_length_m,
                "image": np.asarray(record["image"], float),
                "mask": np.asarray(record["image_mask"], bool),
                "hillas": row,
                "true_source": true_source,
                "title": f"event {int(row['event_id'])}, tel {tel_id}: {row['hillas_intensity']:.0f} p.e.{energy}",
            })
    return events


def array_examples(dl2_path, n_events=4, geometry="HillasReconstructor"):
    """Array events of a DL2 file with their reconstruction, ready for `plot_array_gallery`.

    Events with a valid geometry are picked spread over the true energy (quantiles of the
    valid events; the reconstructed ones when the file has no simulation truth). Each entry
    holds the triggered telescopes, the Hillas ``psi`` of every image with parameters (drawn
    as image axes on the ground), the array pointing, and the true and reconstructed cores
    and directions.

    Parameters
    ----------
    dl2_path : path-like
        A file written by ``iactpipe reconstruct`` (or ``apply``).
    n_events : int
    geometry : str
        Algorithm name of ``/dl2/event/subarray/geometry/<geometry>``.

    Returns
    -------
    subarray : SubarrayDescription
    events : list of dict
        Keyword arguments of `iactpipe.visualization.draw_array`; empty if no event is valid.
    """
    from ..io.instrument_io import read_subarray_hdf5
    from ..irf.events import read_runs

    subarray = read_subarray_hdf5(dl2_path)
    table_path = dm.DL2_SUBARRAY_PATH.format(kind="geometry", algorithm=geometry)
    with open_hdf5(dl2_path, required_level="dl2") as h5file:
        if table_path not in h5file:
            raise DataLevelError(dl2_path, f"has no DL2 geometry table {table_path}")
        reco = read_table(h5file, table_path)
        reco = reco[reco[f"{geometry}_is_valid"].to_numpy(bool)]
        if len(reco) == 0:
            return subarray, []
        shower = read_table(h5file, dm.SHOWER_PATH) if dm.SHOWER_PATH in h5file else None
        if shower is not None:
            reco = reco.merge(shower, on=["obs_id", "event_id"], how="inner")
        order = reco["true_energy"] if shower is not None else reco[f"{geometry}_alt"]
        reco = reco.iloc[np.argsort(order.to_numpy(float), kind="stable")]
        picks = np.unique(np.linspace(0, len(reco) - 1, min(n_events, len(reco))).round().astype(int))
        chosen = reco.iloc[picks]
        trigger = read_table(h5file, dm.DL1_SUBARRAY_TRIGGER_PATH, columns=["obs_id", "event_id", "tels_with_trigger"])
        wanted = set(zip(chosen["obs_id"].astype(int), chosen["event_id"].astype(int)))
        psi = {key: {} for key in wanted}
        for tel_id in subarray.tel_ids:
            path = dm.DL1_PARAMETERS_PATH.format(tel=dm.tel_table_name(int(tel_id)))
            if path not in h5file:
                continue
            params = read_table(h5file, path, columns=["obs_id", "event_id", "hillas_psi"])
            for obs_id, event_id, value in zip(params["obs_id"], params["event_id"], params["hillas_psi"]):
                if (int(obs_id), int(event_id)) in wanted and np.isfinite(value):
                    psi[(int(obs_id), int(event_id))][int(tel_id)] = float(value)
    try:
        runs = {run["obs_id"]: run for run in read_runs(dl2_path)}
    except DataLevelError:  # no simulation configuration: the axes are drawn for the default pointing
        runs = {}
    tel_ids = np.asarray(subarray.tel_ids, int)
    events = []
    for _, row in chosen.iterrows():
        key = (int(row["obs_id"]), int(row["event_id"]))
        match = trigger[(trigger["obs_id"] == key[0]) & (trigger["event_id"] == key[1])]
        triggered = tel_ids[np.asarray(match["tels_with_trigger"].iloc[0], bool)] if len(match) else []
        run = runs.get(key[0])
        pointing = (run["pointing_alt"], run["pointing_az"]) if run and "pointing_alt" in run else (70.0, 0.0)
        entry = {"triggered": triggered, "psi_deg": psi[key], "pointing": pointing,
                 "reco_core": (float(row[f"{geometry}_core_x"]), float(row[f"{geometry}_core_y"])),
                 "reco_direction": (float(row[f"{geometry}_alt"]), float(row[f"{geometry}_az"])),
                 "title": f"obs {key[0]} event {key[1]}: {len(psi[key])} images"}
        if shower is not None:
            entry["true_core"] = (float(row["true_core_x"]), float(row["true_core_y"]))
            entry["true_direction"] = (float(row["true_alt"]), float(row["true_az"]))
            entry["title"] += f", E = {float(row['true_energy']):.2f} TeV"
        events.append(entry)
    return subarray, events
