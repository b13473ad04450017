"""What is in a data file: `describe_file` (a JSON-ready dict) and `format_info` (text).

Used by ``iactpipe info FILE [--json]``. Only table metadata, row counts and the small
configuration tables are read, so describing a large file is fast.
"""
import logging
import os

import numpy as np

from . import datamodel as dm
from .checks import file_data_levels, open_hdf5, table_paths

__all__ = ["describe_file", "describe_simtel_file", "format_info"]

log = logging.getLogger(__name__)

#: Simulation-run fields shown by `describe_file`, with the unit they are reported in.
_RUN_FIELDS = (
    ("obs_id", None), ("energy_range_min", "TeV"), ("energy_range_max", "TeV"), ("spectral_index", None),
    ("n_showers", None), ("shower_reuse", None), ("min_scatter_range", "m"), ("max_scatter_range", "m"),
    ("diffuse", None), ("min_viewcone_radius", "deg"), ("max_viewcone_radius", "deg"),
    ("min_alt", "deg"), ("max_alt", "deg"), ("min_az", "deg"), ("max_az", "deg"),
)


def _plain(value):
    """numpy scalars/bytes -> JSON-compatible Python values."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _table_rows(h5file):
    import tables

    return {path: int(h5file.get_node(path).nrows) for path in table_paths(h5file)
            if isinstance(h5file.get_node(path), tables.Table)}


def _subarray_summary(h5file):
    if dm.SUBARRAY_LAYOUT_PATH not in h5file:
        return None
    node = h5file.get_node(dm.SUBARRAY_LAYOUT_PATH)
    layout = node.read()
    attrs = node.attrs
    names = set(attrs._v_attrnamesuser)
    name = attrs["name"] if "name" in names else attrs["SUBARRAY"] if "SUBARRAY" in names else "unknown"
    telescopes = [{"tel_id": int(row["tel_id"]), "name": _plain(row["name"]), "type": _plain(row["type"]),
                   "camera_name": _plain(row["camera_name"])} for row in layout]
    types, cameras = {}, {}
    for tel in telescopes:
        types[tel["name"]] = types.get(tel["name"], 0) + 1
        cameras[tel["camera_name"]] = cameras.get(tel["camera_name"], 0) + 1
    return {"name": _plain(name), "n_tels": len(telescopes), "tel_ids": [t["tel_id"] for t in telescopes],
            "telescope_types": types, "cameras": cameras, "telescopes": telescopes}


def _event_counts(rows):
    per_telescope = {}
    for path, n_rows in rows.items():
        found = dm.match_path(path)
        if found is None or "tel_id" not in found[1]:
            continue
        schema, keys = found
        label = schema.name if "algorithm" not in keys else f"{schema.name}/{keys['algorithm']}"
        per_telescope.setdefault(label, {})[keys["tel_id"]] = n_rows
    tel_trigger = rows.get(dm.DL1_TELESCOPE_TRIGGER_PATH)
    return {
        "subarray": rows.get(dm.DL1_SUBARRAY_TRIGGER_PATH),
        "simulated_showers": rows.get(dm.SHOWER_PATH),
        "telescope_triggers": tel_trigger,
        "telescope": {label: dict(sorted(counts.items())) for label, counts in sorted(per_telescope.items())},
    }


def _simulation_runs(h5file):
    if dm.SIMULATION_RUN_PATH not in h5file:
        return []
    from .hdf5 import read_table

    runs = read_table(h5file, dm.SIMULATION_RUN_PATH, as_="qtable")
    out = []
    for row in runs:
        record = {}
        for name, unit in _RUN_FIELDS:
            if name not in runs.colnames:
                continue
            value = row[name]
            if unit is not None and hasattr(value, "to_value"):
                value = value.to_value(unit)
            key = f"{name}_{unit.lower()}" if unit else name
            record[key] = _plain(value)
        out.append(record)
    return out


def _provenance_summary(h5file):
    from .provenance import read_provenance

    provenance = read_provenance(h5file)
    if provenance is not None:
        return {
            "creator": "iactpipe",
            "software_version": provenance.software_version,
            "activity": provenance.activity,
            "created": provenance.created,
            "seed": provenance.seed,
            "host": provenance.host,
            "data_model_version": provenance.data_model_version,
            "inputs": [{"path": i.path, "sha256": i.sha256, "size_bytes": i.size_bytes}
                       for i in provenance.inputs],
        }
    attrs = h5file.root._v_attrs
    names = set(attrs._v_attrnamesuser)
    if "CTA ACTIVITY SOFTWARE NAME" in names:  # e.g. written by ctapipe
        return {
            "creator": _plain(attrs["CTA ACTIVITY SOFTWARE NAME"]),
            "software_version": _plain(attrs["CTA ACTIVITY SOFTWARE VERSION"]) if
            "CTA ACTIVITY SOFTWARE VERSION" in names else "",
            "activity": _plain(attrs["CTA ACTIVITY NAME"]) if "CTA ACTIVITY NAME" in names else "",
            "created": _plain(attrs["CTA PRODUCT CREATION TIME"]) if "CTA PRODUCT CREATION TIME" in names else "",
            "seed": None, "host": "", "data_model_version": "", "inputs": [],
        }
    return None


def describe_file(path):
    """Summarise an iactpipe/ctapipe data file.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    dict
        JSON-serialisable summary with keys ``path``, ``size_bytes``, ``data_levels``,
        ``has_simulation``, ``data_products``, ``subarray`` (name, n_tels, tel_ids,
        telescope_types and cameras with counts, per-telescope rows; None if absent),
        ``events`` (``subarray``: array events, ``simulated_showers``,
        ``telescope_triggers``, ``telescope``: {table kind: {tel_id: rows}}),
        ``simulation_runs`` (energy range in TeV, index, showers, scatter radius in m,
        view cone and pointing range in deg), ``provenance`` (creator, version, activity,
        creation time, seed, host, inputs with sha256; None if absent) and ``tables``
        ({path: rows}).

    A sim_telarray file (recognised by content) is described by `describe_simtel_file`
    with the same keys.

    Raises
    ------
    InputFileError
        The file cannot be used (see `iactpipe.io.checks.open_hdf5`).
    """
    from .checks import sniff_format

    if os.path.isfile(path) and "eventio" in sniff_format(path):
        return describe_simtel_file(path)
    with open_hdf5(path) as h5file:
        levels = file_data_levels(h5file)
        rows = _table_rows(h5file)
        info = {
            "path": os.fspath(path),
            "size_bytes": os.path.getsize(path),
            "data_levels": [level for level in levels if level != "simulation"],
            "has_simulation": "simulation" in levels,
            "data_products": list(dm.data_products_from_paths(rows)),
            "subarray": _subarray_summary(h5file),
            "events": _event_counts(rows),
            "simulation_runs": _simulation_runs(h5file),
            "provenance": _provenance_summary(h5file),
            "tables": rows,
        }
    log.debug("described %s: %d tables", path, len(rows))
    return info


def describe_simtel_file(path):
    """`describe_file` for a sim_telarray file (same keys, ``format`` "sim_telarray"); streams the events once."""
    from .event_source import open_events

    with open_events(path, allow_truncated=True) as source:
        n_events, n_showers, by_type, per_tel = 0, 0, {}, {}
        for event in source:
            n_events += 1
            n_showers += event.shower is not None
            by_type[int(event.event_type)] = by_type.get(int(event.event_type), 0) + 1
            for tel_id in event.tel:
                per_tel[int(tel_id)] = per_tel.get(int(tel_id), 0) + 1
        subarray = source.subarray
        telescopes = [{"tel_id": int(t), "name": tel.name, "type": tel.tel_type, "camera_name": tel.camera.name}
                      for t, tel in zip(subarray.tel_ids, subarray.telescopes)]
        types, cameras = {}, {}
        for tel in telescopes:
            types[tel["name"]] = types.get(tel["name"], 0) + 1
            cameras[tel["camera_name"]] = cameras.get(tel["camera_name"], 0) + 1
        config = source.simulation_config
        runs = []
        if config is not None:
            runs = [{(f"{name}_{unit.lower()}" if unit else name): _plain(config[name])
                     for name, unit in _RUN_FIELDS if name in config}]
        truncated, message = source.truncated, source.truncation_message
    info = {
        "path": os.fspath(path),
        "size_bytes": os.path.getsize(path),
        "format": "sim_telarray",
        "data_levels": ["r0"],
        "has_simulation": config is not None,
        "data_products": [],
        "subarray": {"name": subarray.name, "n_tels": len(telescopes), "tel_ids": [t["tel_id"] for t in telescopes],
                     "telescope_types": types, "cameras": cameras, "telescopes": telescopes},
        "events": {"subarray": n_events, "simulated_showers": n_showers, "telescope_triggers": sum(per_tel.values()),
                   "event_types": by_type, "telescope": {"r0": dict(sorted(per_tel.items()))} if per_tel else {}},
        "simulation_runs": runs,
        "provenance": None,
        "tables": {},
        "truncated": truncated,
        "truncation_message": message,
    }
    return info


# ----------------------------------------------------------------------------- text


def _size_text(n_bytes):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n_bytes < 1024 or unit == "GiB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} TiB"


def _id_ranges(ids):
    """[1, 2, 3, 7] -> '1-3, 7'."""
    ids = sorted(int(i) for i in ids)
    parts, start = [], None
    for i, value in enumerate(ids):
        if start is None:
            start = value
        if i + 1 == len(ids) or ids[i + 1] != value + 1:
            parts.append(str(start) if start == value else f"{start}-{value}")
            start = None
    return ", ".join(parts)


def _key_values(rows, indent=""):
    rows = [(k, v) for k, v in rows if v is not None and v != ""]
    if not rows:
        return []
    width = max(len(k) for k, _ in rows)
    return [f"{indent}{k:<{width}}  {v}" for k, v in rows]


def _grid(header, rows, indent="  "):
    """Right-aligned text table."""
    cells = [list(header)] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [indent + "  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in cells]


def _format_subarray(subarray):
    if subarray is None:
        return ["Subarray: none stored"]
    types = ", ".join(f"{name} x {n}" for name, n in subarray["telescope_types"].items())
    cameras = ", ".join(f"{name} x {n}" for name, n in subarray["cameras"].items())
    return [f"Subarray: {subarray['name']} ({subarray['n_tels']} telescopes)"] + _key_values(
        [("tel_ids", _id_ranges(subarray["tel_ids"])), ("types", types), ("cameras", cameras)], "  ")


def _format_events(events):
    lines = ["Events"] + _key_values([
        ("array events", events["subarray"]),
        ("simulated showers", events["simulated_showers"]),
        ("telescope triggers", events["telescope_triggers"]),
        ("event types", ", ".join(f"{k}: {v}" for k, v in sorted(events.get("event_types", {}).items())) or None),
    ], "  ")
    per_tel = events["telescope"]
    if per_tel:
        kinds = list(per_tel)
        tel_ids = sorted({tid for counts in per_tel.values() for tid in counts})
        rows = [[tid] + [per_tel[k].get(tid, "-") for k in kinds] for tid in tel_ids]
        lines += ["  telescope events:"] + _grid(["tel_id"] + kinds, rows, "    ")
    return lines


def _format_runs(runs):
    if not runs:
        return []
    lines = ["Simulation runs"]
    for run in runs:
        text = (f"  obs_id {run.get('obs_id')}: E {run.get('energy_range_min_tev'):g}-"
                f"{run.get('energy_range_max_tev'):g} TeV, index {run.get('spectral_index'):g}, "
                f"{run.get('n_showers')} showers x {run.get('shower_reuse')} uses, "
                f"core <= {run.get('max_scatter_range_m'):g} m")
        if run.get("diffuse"):
            text += (f", view cone {run.get('min_viewcone_radius_deg'):g}-"
                     f"{run.get('max_viewcone_radius_deg'):g} deg")
        lines.append(text)
    return lines


def _format_provenance(provenance):
    if provenance is None:
        return ["Provenance: none stored"]
    rows = [
        ("created", provenance["created"]),
        ("software", f"{provenance['creator']} {provenance['software_version']}".strip()),
        ("activity", provenance["activity"]),
        ("seed", provenance["seed"]),
        ("host", provenance["host"]),
    ]
    rows += [("input", f"{item['path']}  (sha256 {item['sha256'][:16]}...)") for item in provenance["inputs"]]
    return ["Provenance"] + _key_values(rows, "  ")


def format_info(info):
    """Human-readable, aligned text of a `describe_file` summary."""
    levels = ", ".join(info["data_levels"]) or "none"
    if info["has_simulation"]:
        levels += " (+ simulation truth)"
    lines = _key_values([
        ("File", f"{info['path']} ({_size_text(info['size_bytes'])})"),
        ("Format", info.get("format")),
        ("Warning", info.get("truncation_message")),
        ("Data levels", levels),
        ("Products", ", ".join(info["data_products"]) or "-"),
    ])
    sections = (_format_subarray(info["subarray"]), _format_events(info["events"]),
                _format_runs(info["simulation_runs"]), _format_provenance(info["provenance"]))
    for section in sections:
        if section:
            lines += [""] + section
    return "\n".join(lines) + "\n"
