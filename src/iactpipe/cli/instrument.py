"""``iactpipe instrument``: the built-in cameras, telescopes and arrays, or those of a file."""
import json

from ..errors import ConfigurationError
from ._common import command_parser, refuse_existing_output, run_command, run_main

__all__ = ["main", "build_parser", "camera_rows", "array_rows"]

_CAMERA_COLUMNS = [
    ("camera", "{}"), ("telescope", "{}"), ("n_pixels", "{:d}"), ("pix_type", "{}"),
    ("pixel_size_mm", "{:.2f}"), ("pitch_mm", "{:.2f}"), ("pitch_deg", "{:.4f}"), ("fov_deg", "{:.2f}"),
    ("focal_length_m", "{:.3f}"), ("sampling_ghz", "{:.3f}"), ("n_samples", "{:d}"), ("n_gains", "{:d}"),
]
_ARRAY_COLUMNS = [("array", "{}"), ("n_tels", "{:d}"), ("telescopes", "{}"), ("site", "{}"),
                  ("footprint_km2", "{:.2f}")]


def build_parser():
    parser = command_parser(
        "instrument",
        "List cameras (pixel count, pixel size, field of view, focal length, readout) and arrays.\n"
        "Without options: every built-in camera and array. With FILE: the instrument stored in a\n"
        "sim_telarray or iactpipe HDF5 file.",
        epilog="examples:\n  iactpipe instrument\n  iactpipe instrument --array CTAO-North-alpha\n"
               "  iactpipe instrument run.simtel.zst --json",
    )
    parser.add_argument("file", nargs="?", help="sim_telarray (.simtel[.gz|.zst]) or iactpipe HDF5 file")
    parser.add_argument("--array", help="list the telescopes (id, type, position) of this built-in array")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of tables")
    parser.add_argument("--output", "-o",
                        help="write the instrument (of --array, or of FILE) to this HDF5 file, with provenance")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    return parser


def read_instrument(path):
    """The instrument of a sim_telarray or HDF5 file (imported lazily: heavy dependencies)."""
    from ..io.instrument_reader import read_instrument as read

    return read(path)


def _telescope_row(tel):
    camera, readout = tel.camera, tel.readout
    f = tel.focal_length_m
    return {
        "camera": camera.name,
        "telescope": tel.name,
        "n_pixels": camera.n_pixels,
        "pix_type": camera.pix_type.value,
        "pixel_size_mm": 1e3 * camera.pixel_width,
        "pitch_mm": 1e3 * camera.pixel_pitch,
        "pitch_deg": camera.pixel_pitch_deg(f),
        "fov_deg": camera.fov_diameter_deg(f),
        "focal_length_m": f,
        "sampling_ghz": readout.sampling_rate_ghz,
        "n_samples": readout.n_samples,
        "n_gains": readout.n_channels,
    }


def camera_rows(telescopes):
    """One summary dict per distinct camera of ``telescopes`` (TelescopeDescription objects)."""
    rows, seen = [], set()
    for tel in telescopes:
        if tel.camera.name not in seen:
            seen.add(tel.camera.name)
            rows.append(_telescope_row(tel))
    return rows


def array_rows(subarrays):
    """One summary dict per subarray."""
    rows = []
    for sub in subarrays:
        counts = {}
        for tel in sub.telescopes:
            counts[tel.name] = counts.get(tel.name, 0) + 1
        loc = sub.reference_location
        rows.append({
            "array": sub.name,
            "n_tels": sub.n_tels,
            "telescopes": ", ".join(f"{n} x {name}" for name, n in counts.items()),
            "site": f"lon {loc.lon_deg:.3f}, lat {loc.lat_deg:.3f}, {loc.height_m:.0f} m",
            "footprint_km2": sub.footprint_km2(),
        })
    return rows


def _format_table(rows, columns):
    cells = [[name for name, _ in columns]]
    cells += [[fmt.format(row[name]) for name, fmt in columns] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _positions_rows(sub):
    return [{"tel_id": int(tid), "type": tel.name, "x_m": float(p[0]), "y_m": float(p[1]), "z_m": float(p[2])}
            for tid, tel, p in zip(sub.tel_ids, sub.telescopes, sub.positions_m)]


def write_instrument(path, subarray, argv, inputs=(), overwrite=False):
    """Write ``subarray`` to a new HDF5 file ``path`` with provenance (atomically)."""
    from ..io.hdf5 import HDF5Writer
    from ..io.instrument_io import write_subarray
    from ..io.provenance import collect_provenance

    provenance = collect_provenance(activity="instrument", config={"array": subarray.name},
                                    inputs=inputs, argv=argv)
    with HDF5Writer(path, provenance=provenance, overwrite=overwrite) as writer:
        write_subarray(writer, subarray)


@run_command("instrument")
def run(args):
    from ..instrument import catalog

    if args.output:
        if not (args.file or args.array):
            raise ConfigurationError("--output needs --array NAME or an input FILE")
        subarray = read_instrument(args.file) if args.file else catalog.build_array(args.array)
        refuse_existing_output(args.output, args.overwrite)
        write_instrument(args.output, subarray, args.argv, inputs=[args.file] if args.file else (),
                         overwrite=args.overwrite)
        print(f"wrote {subarray.name} ({subarray.n_tels} telescopes) to {args.output}")
        return 0

    if args.file:
        subarrays = [read_instrument(args.file)]
    else:
        subarrays = [catalog.build_array(name) for name in catalog.array_names()]

    if args.array:
        sub = catalog.build_array(args.array)
        rows = _positions_rows(sub)
        if args.json:
            print(json.dumps({"array": sub.name, "telescopes": rows}, indent=2))
        else:
            print(f"{sub.name}: {sub.n_tels} telescopes, ground frame x North, y West, z up (m)")
            print(_format_table(rows, [("tel_id", "{:d}"), ("type", "{}"), ("x_m", "{:.2f}"), ("y_m", "{:.2f}"),
                                       ("z_m", "{:.2f}")]))
        return 0

    if args.file:
        telescopes = subarrays[0].telescopes
    else:
        telescopes = [catalog.build_telescope(name) for name in catalog.telescope_names()]
    cameras, arrays = camera_rows(telescopes), array_rows(subarrays)
    if args.json:
        print(json.dumps({"cameras": cameras, "arrays": arrays}, indent=2))
        return 0
    title = f"Instrument of {args.file}" if args.file else "Built-in cameras (generated from published parameters)"
    print(title)
    print(_format_table(cameras, _CAMERA_COLUMNS))
    print()
    print("Arrays" if not args.file else "Array")
    print(_format_table(arrays, _ARRAY_COLUMNS))
    return 0


def main(argv=None):
    """Run ``iactpipe instrument``; returns the exit code."""
    return run_main(build_parser(), argv, run)
