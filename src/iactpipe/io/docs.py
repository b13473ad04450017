"""Generate the data-model reference (``docs/data_model.md``) from the schema declarations.

The output depends only on `iactpipe.io.datamodel`, never on dates or the environment,
so a test can check that the committed file is up to date.
"""
from pathlib import Path

from . import datamodel as dm

__all__ = ["render_data_model_markdown", "write_data_model_markdown"]

_INTRO = """\
Every HDF5 file written by iactpipe follows this layout. It is generated from
`iactpipe.io.datamodel`; do not edit it by hand (`iactpipe datamodel --output docs/data_model.md`).

## Conventions

* Group paths and column names follow ctapipe's HDF5 data model (v7.x), so ctapipe's
  `read_table` reads our tables with their units.
* One table per telescope is named `tel_NNN` (3-digit zero-padded telescope id).
* Index columns: `obs_id` (int32), `event_id` (int64), `tel_id` (int16); tables are joined on them.
* Column metadata are table attributes keyed by the column position `<pos>` (ctapipe's
  convention): `CTAFIELD_<pos>_UNIT` (astropy VOUnit string) with `CTAFIELD_<pos>_TRANSFORM = quantity`;
  timestamps have `TRANSFORM = time`, `TIME_FORMAT = ctao_high_res`, `TIME_SCALE = tai`;
  strings (UTF-8, fixed maximum bytes) have `TRANSFORM = string` and `MAXLEN`;
  `CTAFIELD_<pos>_DESC` holds the description. Units astropy has no unit for (`p.e.`,
  `ADC counts`) are stored as `CTAFIELD_<pos>_UNIT_LABEL` only.
* Timestamps (`time`) are CTAO high-resolution times: two uint32, seconds and quarter
  nanoseconds since 1970-01-01 00:00:00 TAI.
* All angles are in degrees. Differences from ctapipe: degrees instead of radians for the
  simulation pointing range, geomagnetic angles and telescope pointing; `timing_slope` in
  ns/deg (ctapipe: deg^-1); float64 for all floating-point configuration values. The
  instrument tables are ctapipe's (numbered camera tables `geometry_<i>`/`readout_<i>`),
  so ctapipe's `SubarrayDescription.from_hdf` reads them.
* Array cells have shapes given by placeholders, fixed per table when it is created:
"""


def _escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _shape_text(shape):
    if not shape:
        return "scalar"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _dtype_text(column):
    if column.kind == "time":
        return "uint32 (s, qns)"
    if column.is_string:
        return f"string (max {column.max_length} B)"
    return column.dtype


def _schema_section(schema):
    lines = [
        f"### `{schema.name}`",
        "",
        f"* path: `{schema.path_template}`",
        f"* level: {schema.data_level}",
        f"* index columns: {', '.join(f'`{c}`' for c in schema.index_columns) or 'none'}",
        f"* compression: {'blosc2 zstd' if schema.compress else 'none (waveform rows are too large to shuffle)'}",
        "",
        _escape(schema.description),
        "",
        "| column | dtype | shape | unit | description |",
        "|---|---|---|---|---|",
    ]
    for column in schema.columns:
        lines.append(f"| `{column.name}` | {_dtype_text(column)} | {_shape_text(column.shape)} | "
                     f"{_escape(column.unit or '')} | {_escape(column.description)} |")
    if schema.attributes:
        lines += ["", "| table attribute | meaning |", "|---|---|"]
        lines += [f"| `{_escape(key)}` | {_escape(meaning)} |" for key, meaning in schema.attributes]
    return lines + [""]


def render_data_model_markdown():
    """The data-model reference as Markdown: conventions, placeholders, one table per schema.

    Returns
    -------
    str
    """
    lines = [f"# iactpipe HDF5 data model (version {dm.DATA_MODEL_VERSION})", "", _INTRO]
    lines += [f"  * `{name}`: {meaning}" for name, meaning in dm.SHAPE_PLACEHOLDERS.items()]
    lines += ["* Path keys: `{tel}` is `tel_NNN`, `{algorithm}` the reconstruction algorithm name "
              "(also the prefix of its columns), `{camera_index}` the camera's index in the layout's `camera_index` column.", ""]
    lines += ["## Tables", ""]
    lines += ["| schema | path | level |", "|---|---|---|"]
    lines += [f"| [`{s.name}`](#{s.name}) | `{s.path_template}` | {s.data_level} |" for s in dm.SCHEMAS.values()]
    lines.append("")
    for schema in dm.SCHEMAS.values():
        lines += _schema_section(schema)
    return "\n".join(lines).rstrip("\n") + "\n"


def write_data_model_markdown(path):
    """Write `render_data_model_markdown` to ``path`` (parent directories are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_data_model_markdown(), encoding="utf-8")
    return path
