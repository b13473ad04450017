"""Pick example events of a DL1 file for the event gallery (`iactpipe.visualization.gallery`)."""
import numpy as np

from ..coordinates import horizontal_to_telescope
from ..io import datamodel as dm
from ..io.checks import open_hdf5
from ..io.hdf5 import read_table

__all__ = ["example_events"]


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
