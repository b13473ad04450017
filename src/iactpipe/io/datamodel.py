"""The HDF5 data model: table paths, column names, dtypes and units.

This module is the data contract between all pipeline stages. Every table an iactpipe
stage writes or reads is declared here once, as a `TableSchema` made of `Column`
objects; writers, readers, checks and the generated ``docs/data_model.md`` all derive
from these declarations.

The layout follows ctapipe's HDF5 data model (v7.x): same group paths, same column
names, one table per telescope named ``tel_NNN`` (3-digit zero-padded id), index
columns ``obs_id`` (int32), ``event_id`` (int64) and ``tel_id`` (int16). Deliberate
differences from ctapipe are stated in the column descriptions:

* all angles are stored in **degrees** (ctapipe uses radians for the simulation run
  pointing range, the geomagnetic field angles and the telescope pointing);
* floating-point columns of the small configuration tables are float64 so that
  instrument and run descriptions round-trip exactly;
* ``timing_*`` and ``peak_time_*`` carry their time unit (ns), so ``timing_slope`` is
  in ns/deg where ctapipe labels it deg^-1;
* the optics table has two extra columns (``psf_sigma``, ``focal_length_choice``).

The instrument tables are ctapipe's: camera tables are numbered (``geometry_<i>``, with
the path key ``{camera_index}`` holding the layout's ``camera_index`` ``i``), and ctapipe's
``SubarrayDescription.from_hdf`` reads them.

Units are strings astropy can parse, except the labels in `LABEL_UNITS` (photo-electrons
and ADC counts), which astropy has no unit for: such columns are plain numbers whose
unit is recorded as a label only.

Shapes of array columns may contain placeholders (``"n_pixels"``, ``"n_samples"``, ...)
that are resolved when a table is created, from explicit dimensions or from the first
batch of data.
"""
from dataclasses import dataclass, field, replace
from types import MappingProxyType
import re

__all__ = [
    "DATA_MODEL_VERSION",
    "DATA_LEVELS",
    "TABLE_CATEGORIES",
    "LABEL_UNITS",
    "SHAPE_PLACEHOLDERS",
    "Column",
    "TableSchema",
    "tel_table_name",
    "tel_id_from_table_name",
    "data_levels_from_paths",
    "data_products_from_paths",
    "get_schema",
    "match_path",
    "camera_readout_schema",
    "SCHEMAS",
    # paths
    "SUBARRAY_LAYOUT_PATH",
    "OPTICS_PATH",
    "CAMERA_GROUP",
    "CAMERA_GEOMETRY_PATH",
    "CAMERA_READOUT_PATH",
    "SIMULATION_RUN_PATH",
    "SHOWER_DISTRIBUTION_PATH",
    "SHOWER_PATH",
    "TRUE_IMAGES_PATH",
    "TRUE_PARAMETERS_PATH",
    "TRUE_IMPACT_PATH",
    "TELESCOPE_POINTING_PATH",
    "R0_PATH",
    "R0_SUBARRAY_TRIGGER_PATH",
    "R0_TELESCOPE_TRIGGER_PATH",
    "CAMERA_CALIBRATION_PATH",
    "R1_PATH",
    "DL1_SUBARRAY_TRIGGER_PATH",
    "DL1_TELESCOPE_TRIGGER_PATH",
    "DL1_IMAGES_PATH",
    "DL1_PARAMETERS_PATH",
    "DL2_SUBARRAY_PATH",
    "DL2_TELESCOPE_PATH",
    "DL2_SUBARRAY_KINDS",
    "DL2_TELESCOPE_KINDS",
    "PROVENANCE_NODE_PATH",
    # schemas
    "SUBARRAY_LAYOUT",
    "OPTICS",
    "CAMERA_GEOMETRY",
    "CAMERA_READOUT",
    "SIMULATION_RUN",
    "SHOWER_DISTRIBUTION",
    "SHOWER",
    "TRUE_IMAGES",
    "TRUE_PARAMETERS",
    "TRUE_IMPACT",
    "TELESCOPE_POINTING",
    "R0",
    "R0_SUBARRAY_TRIGGER",
    "R0_TELESCOPE_TRIGGER",
    "CAMERA_CALIBRATION",
    "R1",
    "DL1_SUBARRAY_TRIGGER",
    "DL1_TELESCOPE_TRIGGER",
    "DL1_IMAGES",
    "DL1_PARAMETERS",
    "DL2_SUBARRAY_GEOMETRY",
    "DL2_SUBARRAY_ENERGY",
    "DL2_SUBARRAY_CLASSIFICATION",
    "DL2_TELESCOPE_GEOMETRY",
    "DL2_TELESCOPE_ENERGY",
    "DL2_TELESCOPE_CLASSIFICATION",
    "DL2_TELESCOPE_IMPACT",
    "DL2_TELESCOPE_DISP",
]

#: Version of this data model; bump the major number on any incompatible change.
DATA_MODEL_VERSION = "1.0.0"

#: Data levels, in processing order (ctapipe's vocabulary).
DATA_LEVELS = ("r0", "r1", "dl0", "dl1", "dl2", "dl3", "irf")

#: What a table can belong to: a data level, or one of the two service categories.
TABLE_CATEGORIES = ("configuration", "simulation") + DATA_LEVELS

#: Units astropy cannot represent; columns with these are stored as plain numbers.
LABEL_UNITS = frozenset({"p.e.", "ADC counts"})

#: Shape placeholders and what they stand for.
SHAPE_PLACEHOLDERS = MappingProxyType({
    "n_channels": "gain channels of the camera readout",
    "n_pixels": "pixels of the camera",
    "n_samples": "waveform samples per pixel",
    "n_tels": "telescopes of the subarray (mask over the sorted tel_ids)",
    "n_energy_edges": "energy bin edges of the shower histogram",
    "n_core_edges": "core-distance bin edges of the shower histogram",
    "n_energy_bins": "energy bins of the shower histogram",
    "n_core_bins": "core-distance bins of the shower histogram",
})

_COLUMN_KINDS = ("plain", "time")
_PATH_KEYS = ("tel", "algorithm", "camera_index")


# ----------------------------------------------------------------------------- schema types


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    name : str
        Column name; may contain ``{algorithm}`` for DL2 tables.
    dtype : str
        numpy dtype name of one element (``"float64"``, ``"int16"``, ``"bool"``); ``"S<n>"``
        for UTF-8 strings of at most ``n`` bytes.
    unit : str or None
        Unit string (astropy syntax) or one of `LABEL_UNITS`; None for dimensionless.
    description : str
        One-line meaning of the column.
    shape : tuple of int or str
        Per-row shape; strings are placeholders from `SHAPE_PLACEHOLDERS`.
    kind : str
        ``"plain"``, or ``"time"`` for CTAO high-resolution timestamps: uint32 pairs
        (seconds, quarter nanoseconds) since 1970-01-01 00:00:00 TAI.
    """

    name: str
    dtype: str
    unit: str = None
    description: str = ""
    shape: tuple = ()
    kind: str = "plain"

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(self.shape))
        if self.kind not in _COLUMN_KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}")
        for dim in self.shape:
            if isinstance(dim, str) and dim not in SHAPE_PLACEHOLDERS:
                raise ValueError(f"column {self.name!r}: unknown shape placeholder {dim!r}")

    @property
    def is_string(self):
        """True for UTF-8 string columns (stored as fixed-width bytes)."""
        return self.dtype.startswith("S")

    @property
    def max_length(self):
        """Maximum length in bytes of a string column, else None."""
        return int(self.dtype[1:]) if self.is_string else None

    @property
    def has_astropy_unit(self):
        """True if `unit` is set and is not a label-only unit."""
        return self.unit is not None and self.unit not in LABEL_UNITS

    @property
    def placeholders(self):
        """Shape placeholders still unresolved, as a tuple of names."""
        return tuple(dim for dim in self.shape if isinstance(dim, str))

    def resolved(self, dims=None, algorithm=None):
        """This column with placeholders filled from ``dims`` and ``{algorithm}`` substituted.

        Placeholders missing from ``dims`` stay unresolved.
        """
        dims = dims or {}
        shape = tuple(int(dims[d]) if isinstance(d, str) and d in dims else d for d in self.shape)
        name = self.name if algorithm is None else self.name.replace("{algorithm}", str(algorithm))
        return replace(self, name=name, shape=shape)


@dataclass(frozen=True)
class TableSchema:
    """Declaration of one (family of) HDF5 table(s).

    Parameters
    ----------
    name : str
        Short key of the schema, e.g. ``"dl1_parameters"``.
    path_template : str
        Path inside the file; may contain ``{tel}`` (replaced by ``tel_NNN``),
        ``{algorithm}`` and ``{camera_index}``.
    columns : tuple of Column
        Columns in storage order.
    index_columns : tuple of str
        Columns identifying a row (join keys).
    description : str
        What the table holds.
    data_level : str
        One of `TABLE_CATEGORIES`.
    expected_rows : int
        Typical row count of one table, used to size HDF5 chunks.
    compress : bool
        Compress the table. Off for waveform tables: their rows are hundreds of kB, so
        blosc's byte shuffle (which works on the row size) cannot help, and compressing
        noisy uint16 samples without it ran at 10-25 MB/s against 800 MB/s uncompressed
        (measured on simulated LSTCam R0, ratio only 1.3-2.2).
    """

    name: str
    path_template: str
    columns: tuple
    index_columns: tuple
    description: str
    data_level: str
    expected_rows: int = 100_000
    attributes: tuple = field(default=())  # (key, meaning) pairs of table attributes
    compress: bool = True

    def __post_init__(self):
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "index_columns", tuple(self.index_columns))
        object.__setattr__(self, "attributes", tuple(self.attributes))
        if self.data_level not in TABLE_CATEGORIES:
            raise ValueError(f"schema {self.name!r}: unknown data level {self.data_level!r}")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name!r}: duplicate column names")
        missing = set(self.index_columns) - set(names)
        if missing:
            raise ValueError(f"schema {self.name!r}: index columns {sorted(missing)} are not columns")
        keys = set(re.findall(r"{(\w+)}", self.path_template))
        if not keys <= set(_PATH_KEYS):
            raise ValueError(f"schema {self.name!r}: unknown path keys {sorted(keys - set(_PATH_KEYS))}")

    @property
    def column_names(self):
        """Column names in storage order."""
        return tuple(c.name for c in self.columns)

    @property
    def path_keys(self):
        """Keys needed to build a concrete path (subset of ``tel``, ``algorithm``, ``camera_index``)."""
        return tuple(re.findall(r"{(\w+)}", self.path_template))

    @property
    def is_per_telescope(self):
        """True if there is one table per telescope (``tel_NNN``)."""
        return "{tel}" in self.path_template

    @property
    def placeholders(self):
        """Unresolved shape placeholders of all columns, in order of first use."""
        seen = {}
        for column in self.columns:
            for dim in column.placeholders:
                seen.setdefault(dim, None)
        return tuple(seen)

    def column(self, name):
        """The `Column` named ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def path(self, tel_id=None, algorithm=None, camera_index=None):
        """Concrete path of a table of this schema.

        Parameters
        ----------
        tel_id : int, optional
            Telescope id, required for per-telescope tables.
        algorithm : str, optional
            Reconstruction algorithm name, required for DL2 tables.
        camera_index : int or str, optional
            Index of the camera in the layout's ``camera_index`` column, required for
            camera geometry/readout tables.
        """
        values = {"tel": None if tel_id is None else tel_table_name(tel_id),
                  "algorithm": algorithm, "camera_index": camera_index}
        needed = self.path_keys
        missing = [("tel_id" if k == "tel" else k) for k in needed if values[k] is None]
        if missing:
            raise ValueError(f"table {self.name!r} ({self.path_template}) needs {', '.join(missing)}")
        for key in ("algorithm", "camera_index"):
            if key in needed and not re.fullmatch(r"[A-Za-z0-9_.\-]+", str(values[key])):
                raise ValueError(f"{key} {values[key]!r} is not usable in an HDF5 path")
        return self.path_template.format(**{k: values[k] for k in needed})

    def resolved(self, dims=None, algorithm=None):
        """This schema with shape placeholders filled from ``dims`` and names formatted.

        Parameters
        ----------
        dims : dict, optional
            Values for shape placeholders, e.g. ``{"n_pixels": 1855}``.
        algorithm : str, optional
            Algorithm name substituted into ``{algorithm}`` column names.
        """
        if algorithm is None and any("{algorithm}" in c.name for c in self.columns):
            raise ValueError(f"table {self.name!r} has per-algorithm column names; give algorithm=")
        columns = tuple(c.resolved(dims, algorithm) for c in self.columns)
        return replace(self, columns=columns)


# ----------------------------------------------------------------------------- naming helpers


def tel_table_name(tel_id):
    """Name of a per-telescope table: ``tel_001`` for ``tel_id=1`` (3-digit zero padding)."""
    tel_id = int(tel_id)
    if tel_id < 0:
        raise ValueError(f"telescope id must be non-negative, got {tel_id}")
    return f"tel_{tel_id:03d}"


def tel_id_from_table_name(name):
    """Inverse of `tel_table_name`: ``"tel_001"`` -> 1 (accepts a full path too)."""
    basename = str(name).rstrip("/").rpartition("/")[2]
    match = re.fullmatch(r"tel_(\d{3,})", basename)
    if match is None:
        raise ValueError(f"{name!r} is not a per-telescope table name (tel_NNN)")
    return int(match.group(1))


def data_levels_from_paths(paths):
    """Data levels present among node paths of a file.

    Parameters
    ----------
    paths : iterable of str
        Absolute node paths (e.g. all table paths of a file).

    Returns
    -------
    tuple of str
        Levels from `DATA_LEVELS` whose top-level group appears, in processing order.
    """
    found = {str(p).strip("/").split("/", 1)[0] for p in paths}
    return tuple(level for level in DATA_LEVELS if level in found)


#: Path prefixes -> CTA "data product" labels, finest first (ctapipe's ``CTA PRODUCT DATA LEVELS``).
_PRODUCT_PREFIXES = (
    ("/r0/", "R0"),
    ("/r1/", "R1"),
    ("/dl0/", "DL0"),
    ("/dl1/event/telescope/images/", "DL1_IMAGES"),
    ("/dl1/event/telescope/parameters/", "DL1_PARAMETERS"),
    ("/dl1/event/telescope/muon/", "DL1_MUON"),
    ("/dl2/", "DL2"),
)


def data_products_from_paths(paths):
    """CTA data-product labels (``R0``, ``DL1_IMAGES``, ``DL1_PARAMETERS``, ``DL2``, ...) of node paths."""
    found = []
    for prefix, label in _PRODUCT_PREFIXES:
        if any(str(p).startswith(prefix) for p in paths) and label not in found:
            found.append(label)
    return tuple(found)


# ----------------------------------------------------------------------------- common columns

_OBS_ID = Column("obs_id", "int32", None, "Observation block id (simulation run number for simulations)")
_EVENT_ID = Column("event_id", "int64", None, "Array event id, unique within an obs_id")
_TEL_ID = Column("tel_id", "int16", None, "Telescope id")
_EVENT_TYPE = Column("event_type", "uint8", None,
                     "CTAO event type code (32 = subarray trigger, 255 = unknown; ctapipe EventType)")
_TIME = Column("time", "uint32", None,
               "Trigger time: CTAO high-resolution timestamp (seconds, quarter nanoseconds) "
               "since 1970-01-01 00:00:00 TAI", shape=(2,), kind="time")

_SUBARRAY_INDEX = (_OBS_ID, _EVENT_ID)
_TEL_INDEX = (_OBS_ID, _EVENT_ID, _TEL_ID)
_SUBARRAY_KEYS = ("obs_id", "event_id")
_TEL_KEYS = ("obs_id", "event_id", "tel_id")

# ----------------------------------------------------------------------------- paths

SUBARRAY_LAYOUT_PATH = "/configuration/instrument/subarray/layout"
OPTICS_PATH = "/configuration/instrument/telescope/optics"
CAMERA_GROUP = "/configuration/instrument/telescope/camera"
CAMERA_GEOMETRY_PATH = CAMERA_GROUP + "/geometry_{camera_index}"
CAMERA_READOUT_PATH = CAMERA_GROUP + "/readout_{camera_index}"
SIMULATION_RUN_PATH = "/configuration/simulation/run"
TELESCOPE_POINTING_PATH = "/configuration/telescope/pointing/{tel}"
SHOWER_DISTRIBUTION_PATH = "/simulation/service/shower_distribution"
SHOWER_PATH = "/simulation/event/subarray/shower"
TRUE_IMAGES_PATH = "/simulation/event/telescope/images/{tel}"
TRUE_PARAMETERS_PATH = "/simulation/event/telescope/parameters/{tel}"
TRUE_IMPACT_PATH = "/simulation/event/telescope/impact/{tel}"
R0_PATH = "/r0/event/telescope/{tel}"
R0_SUBARRAY_TRIGGER_PATH = "/r0/event/subarray/trigger"
R0_TELESCOPE_TRIGGER_PATH = "/r0/event/telescope/trigger"
CAMERA_CALIBRATION_PATH = "/r0/monitoring/telescope/calibration/{tel}"
R1_PATH = "/r1/event/telescope/{tel}"
DL1_SUBARRAY_TRIGGER_PATH = "/dl1/event/subarray/trigger"
DL1_TELESCOPE_TRIGGER_PATH = "/dl1/event/telescope/trigger"
DL1_IMAGES_PATH = "/dl1/event/telescope/images/{tel}"
DL1_PARAMETERS_PATH = "/dl1/event/telescope/parameters/{tel}"
DL2_SUBARRAY_PATH = "/dl2/event/subarray/{kind}/{algorithm}"
DL2_TELESCOPE_PATH = "/dl2/event/telescope/{kind}/{algorithm}/{tel}"
DL2_SUBARRAY_KINDS = ("geometry", "energy", "classification")
DL2_TELESCOPE_KINDS = ("geometry", "energy", "classification", "impact", "disp")
#: Where the provenance JSON goes when it is too large for an HDF5 attribute (64 KiB limit).
PROVENANCE_NODE_PATH = "/configuration/provenance/iactpipe"

# ----------------------------------------------------------------------------- instrument

SUBARRAY_LAYOUT = TableSchema(
    name="subarray_layout",
    path_template=SUBARRAY_LAYOUT_PATH,
    columns=(
        Column("tel_id", "int16", None, "Telescope id"),
        Column("name", "S64", None, "Telescope type name (e.g. LST_LST_LSTCam)"),
        Column("type", "S8", None, "Telescope class: LST, MST, SST or SCT (ctapipe writes the size type here)"),
        Column("pos_x", "float64", "m", "Ground position towards North"),
        Column("pos_y", "float64", "m", "Ground position towards West"),
        Column("pos_z", "float64", "m", "Ground position, up, relative to the reference height"),
        Column("camera_name", "S64", None, "Camera name"),
        Column("optics_name", "S64", None, "Optics name"),
        Column("camera_index", "int64", None,
               "Number i of the camera tables geometry_<i>/readout_<i> of this telescope"),
        Column("optics_index", "int64", None, "Row of the optics in the optics table"),
        Column("tel_description", "S128", None, "'<size_type>_<optics>_<camera>' (ctapipe's description string)"),
    ),
    index_columns=("tel_id",),
    description=("Telescopes of the subarray and their ground positions (ctapipe GroundFrame: x North, y West, "
                 "z up). Same layout as ctapipe's SubarrayDescription.to_hdf, which from_hdf reads."),
    data_level="configuration",
    expected_rows=100,
    attributes=(
        ("name", "subarray name"),
        ("reference_lon_deg, reference_lat_deg, reference_height_m", "geodetic origin of the ground frame"),
        ("reference_itrs_x/y/z", "same origin as geocentric ITRS coordinates, m (ctapipe convention)"),
        ("SUBARRAY", "subarray name (ctapipe convention)"),
        ("TAB_VER", "layout table version understood by ctapipe"),
    ),
)

OPTICS = TableSchema(
    name="optics",
    path_template=OPTICS_PATH,
    columns=(
        Column("optics_name", "S64", None, "Optics name"),
        Column("size_type", "S8", None, "Size class (ctapipe SizeType): LST, MST, SST or UNKNOWN"),
        Column("reflector_shape", "S32", None,
               "ctapipe ReflectorShape name: PARABOLIC, HYBRID, DAVIES_COTTON, SCHWARZSCHILD_COUDER or UNKNOWN "
               "(OpticsDescription: parabolic, hybrid, davies-cotton, schwarzschild-couder, unknown)"),
        Column("mirror_area", "float64", "m2", "Total reflecting area"),
        Column("n_mirrors", "int64", None, "Number of mirror surfaces (1 or 2)"),
        Column("n_mirror_tiles", "int64", None, "Number of mirror facets"),
        Column("equivalent_focal_length", "float64", "m", "Nominal focal length"),
        Column("effective_focal_length", "float64", "m", "Focal length including coma aberration (NaN if unknown)"),
        Column("psf_sigma", "float64", "deg",
               "Gaussian sigma of the on-axis optical PSF (iactpipe addition; NaN if unknown)"),
        Column("focal_length_choice", "S16", None,
               "Focal length used for image analysis: effective or equivalent (iactpipe addition)"),
    ),
    index_columns=(),
    description=("One row per distinct optics (distinct by content, not by name, so optics_name may repeat); "
                 "rows are addressed by position, the layout's optics_index."),
    data_level="configuration",
    expected_rows=10,
)

CAMERA_GEOMETRY = TableSchema(
    name="camera_geometry",
    path_template=CAMERA_GEOMETRY_PATH,
    columns=(
        Column("pix_id", "int32", None, "Pixel id"),
        Column("pix_x", "float64", "m", "Pixel centre, camera frame x"),
        Column("pix_y", "float64", "m", "Pixel centre, camera frame y"),
        Column("pix_area", "float64", "m2", "Light-sensitive pixel area"),
    ),
    index_columns=("pix_id",),
    description=("Pixel layout of one distinct camera, one row per pixel. The path key {camera_index} holds "
                 "the camera index i of the layout's camera_index column (as in ctapipe): cameras are "
                 "numbered 0, 1, ... in order of first appearance and told apart by content, not by name."),
    data_level="configuration",
    expected_rows=2000,
    attributes=(
        ("CAM_ID", "camera name"),
        ("PIX_TYPE", "pixel shape: hexagon, square or circle"),
        ("PIX_ROT", "pixel rotation, deg"),
        ("CAM_ROT", "camera rotation, deg"),
        ("TAB_VER", "geometry table version understood by ctapipe"),
    ),
)


def camera_readout_schema(n_channels):
    """Schema of a camera readout table with ``n_channels`` gain channels.

    The reference pulse of channel ``i`` is the column ``reference_pulse_shape_channel<i>``.
    """
    n_channels = int(n_channels)
    if n_channels < 1:
        raise ValueError("a camera readout has at least one gain channel")
    pulse_columns = tuple(
        Column(f"reference_pulse_shape_channel{i}", "float64", None,
               f"Single-p.e. reference pulse of gain channel {i} (arbitrary units)")
        for i in range(n_channels)
    )
    return TableSchema(
        name="camera_readout",
        path_template=CAMERA_READOUT_PATH,
        columns=pulse_columns + (
            Column("reference_pulse_sample_time", "float64", "ns", "Time of each reference-pulse point"),
        ),
        index_columns=(),
        description=("Digitiser description of one distinct camera and its reference pulse shapes; one "
                     "reference_pulse_shape_channel<i> column per gain channel (shown for 2 channels). "
                     "The path key {camera_index} holds the layout's camera_index, as for camera_geometry."),
        data_level="configuration",
        expected_rows=2000,
        attributes=(
            ("CAM_ID", "readout (camera) name"),
            ("SAMPFREQ", "sampling rate, GHz"),
            ("NSAMPLES", "samples per waveform"),
            ("NCHAN", "gain channels"),
            ("NPIXELS", "pixels"),
            ("REFWIDTH", "reference pulse sample width, ns"),
            ("TAB_VER", "readout table version understood by ctapipe"),
        ),
    )


CAMERA_READOUT = camera_readout_schema(2)

TELESCOPE_POINTING = TableSchema(
    name="telescope_pointing",
    path_template=TELESCOPE_POINTING_PATH,
    columns=(
        _OBS_ID,
        _TEL_ID,
        Column("telescope_pointing_azimuth", "float64", "deg", "Pointing azimuth, N->E (deg; ctapipe uses rad)"),
        Column("telescope_pointing_altitude", "float64", "deg", "Pointing altitude (deg; ctapipe uses rad)"),
    ),
    index_columns=("obs_id", "tel_id"),
    description="Fixed pointing of each telescope per observation (simulations).",
    data_level="configuration",
    expected_rows=100,
)

# ----------------------------------------------------------------------------- simulation

SIMULATION_RUN = TableSchema(
    name="simulation_run",
    path_template=SIMULATION_RUN_PATH,
    columns=(
        _OBS_ID,
        Column("run_number", "int32", None, "Original simulation run number"),
        Column("corsika_version", "int64", None, "CORSIKA version * 1000"),
        Column("simtel_version", "int64", None, "sim_telarray version * 1000"),
        Column("energy_range_min", "float64", "TeV", "Lower limit of the simulated primary energy"),
        Column("energy_range_max", "float64", "TeV", "Upper limit of the simulated primary energy"),
        Column("prod_site_B_total", "float64", "uT", "Total geomagnetic field"),
        Column("prod_site_B_declination", "float64", "deg", "Magnetic declination (deg; ctapipe uses rad)"),
        Column("prod_site_B_inclination", "float64", "deg", "Magnetic inclination (deg; ctapipe uses rad)"),
        Column("prod_site_alt", "float64", "m", "Height of the observation level"),
        Column("spectral_index", "float64", None, "Power-law index of the simulated spectrum, dN/dE ~ E^index"),
        Column("shower_prog_start", "int64", None, "Start date of the shower simulation"),
        Column("shower_prog_id", "int64", None, "Shower program: 1 CORSIKA, 2 ALTAI, 3 KASCADE, 4 MOCCA"),
        Column("detector_prog_start", "int64", None, "Start date of the detector simulation"),
        Column("detector_prog_id", "int64", None, "Detector program: 1 sim_telarray"),
        Column("n_showers", "int64", None, "Showers simulated in the run, without reuse"),
        Column("shower_reuse", "int64", None, "Uses of each shower (core re-throws)"),
        Column("max_alt", "float64", "deg", "Maximum shower altitude (deg; ctapipe uses rad)"),
        Column("min_alt", "float64", "deg", "Minimum shower altitude (deg; ctapipe uses rad)"),
        Column("max_az", "float64", "deg", "Maximum shower azimuth (deg; ctapipe uses rad)"),
        Column("min_az", "float64", "deg", "Minimum shower azimuth (deg; ctapipe uses rad)"),
        Column("diffuse", "bool", None, "True if arrival directions fill a view cone"),
        Column("max_viewcone_radius", "float64", "deg", "Maximum view-cone radius"),
        Column("min_viewcone_radius", "float64", "deg", "Minimum view-cone radius"),
        Column("max_scatter_range", "float64", "m", "Maximum core scatter radius"),
        Column("min_scatter_range", "float64", "m", "Minimum core scatter radius"),
        Column("core_pos_mode", "int64", None, "Core position mode: 0 circular, 1 rectangular"),
        Column("atmosphere", "int64", None, "Atmospheric profile id"),
        Column("corsika_iact_options", "int64", None, "CORSIKA IACT option bit flags"),
        Column("corsika_low_E_model", "int64", None, "CORSIKA low-energy hadronic model id"),
        Column("corsika_high_E_model", "int64", None, "CORSIKA high-energy hadronic model id (3 QGSJET, 6 EPOS, ...)"),
        Column("corsika_bunchsize", "float64", None, "Cherenkov photons per bunch"),
        Column("corsika_wlen_min", "float64", "nm", "Minimum Cherenkov wavelength"),
        Column("corsika_wlen_max", "float64", "nm", "Maximum Cherenkov wavelength"),
        Column("corsika_low_E_detail", "int64", None, "Low-energy model details"),
        Column("corsika_high_E_detail", "int64", None, "High-energy model details"),
    ),
    index_columns=("obs_id",),
    description="Simulation configuration of each run (needed for event weighting), one row per obs_id.",
    data_level="configuration",
    expected_rows=100,
)

SHOWER_DISTRIBUTION = TableSchema(
    name="shower_distribution",
    path_template=SHOWER_DISTRIBUTION_PATH,
    columns=(
        _OBS_ID,
        Column("hist_id", "int64", None, "Histogram id (6 = true energy vs core distance in sim_telarray)"),
        Column("n_entries", "int64", None, "Total simulated showers including reuse"),
        Column("bins_energy", "float64", "TeV", "Energy bin edges", shape=("n_energy_edges",)),
        Column("bins_core_dist", "float64", "m", "Core-distance bin edges", shape=("n_core_edges",)),
        Column("histogram", "float64", None, "Simulated showers per (energy, core distance) bin",
               shape=("n_energy_bins", "n_core_bins")),
    ),
    index_columns=("obs_id", "hist_id"),
    description="Histogram of all simulated showers (triggered or not) per run.",
    data_level="simulation",
    expected_rows=100,
)

SHOWER = TableSchema(
    name="shower",
    path_template=SHOWER_PATH,
    columns=_SUBARRAY_INDEX + (
        Column("true_energy", "float64", "TeV", "Simulated primary energy"),
        Column("true_alt", "float64", "deg", "Simulated arrival altitude"),
        Column("true_az", "float64", "deg", "Simulated arrival azimuth"),
        Column("true_core_x", "float64", "m", "Simulated core position, ground frame x"),
        Column("true_core_y", "float64", "m", "Simulated core position, ground frame y"),
        Column("true_h_first_int", "float64", "m", "Height of the first interaction"),
        Column("true_x_max", "float64", "g / cm2", "Simulated depth of the shower maximum"),
        Column("true_starting_grammage", "float64", "g / cm2", "Grammage where the primary was injected"),
        Column("true_shower_primary_id", "int64", None,
               "Primary particle: 0 gamma, 1 electron, 2 muon, 100*A+Z for nuclei (101 proton)"),
    ),
    index_columns=_SUBARRAY_KEYS,
    description="True shower parameters of every simulated array event.",
    data_level="simulation",
)

TRUE_IMAGES = TableSchema(
    name="true_images",
    path_template=TRUE_IMAGES_PATH,
    columns=_TEL_INDEX + (
        Column("true_image_sum", "int32", "p.e.", "Total detected Cherenkov photo-electrons"),
        Column("true_image", "int32", "p.e.", "Detected Cherenkov photo-electrons per pixel, before noise",
               shape=("n_pixels",)),
    ),
    index_columns=_TEL_KEYS,
    description="True (noise-free) photo-electron images.",
    data_level="simulation",
)

TRUE_IMPACT = TableSchema(
    name="true_impact",
    path_template=TRUE_IMPACT_PATH,
    columns=_TEL_INDEX + (
        Column("true_impact_distance", "float64", "m", "Distance of the telescope to the true shower axis"),
        Column("true_impact_distance_uncert", "float64", "m", "Uncertainty of true_impact_distance"),
    ),
    index_columns=_TEL_KEYS,
    description="True impact distance of each telescope.",
    data_level="simulation",
)

# ----------------------------------------------------------------------------- raw data

R0 = TableSchema(
    name="r0",
    path_template=R0_PATH,
    columns=_TEL_INDEX + (
        _EVENT_TYPE,
        Column("waveform", "uint16", "ADC counts", "Raw digitised samples",
               shape=("n_channels", "n_pixels", "n_samples")),
    ),
    index_columns=_TEL_KEYS,
    description="Raw waveforms, one table per telescope.",
    data_level="r0",
    expected_rows=10_000,
    compress=False,
)

R1 = TableSchema(
    name="r1",
    path_template=R1_PATH,
    columns=_TEL_INDEX + (
        _EVENT_TYPE,
        Column("waveform", "float32", "p.e.", "Calibrated, pedestal-subtracted samples",
               shape=("n_channels", "n_pixels", "n_samples")),
        Column("selected_gain_channel", "int8", None,
               "Gain channel kept per pixel (0 high, 1 low); -1 if all channels are kept",
               shape=("n_pixels",)),
        Column("pixel_status", "uint8", None, "Pixel status bits (ctapipe PixelStatus)", shape=("n_pixels",)),
    ),
    index_columns=_TEL_KEYS,
    description="Calibrated waveforms, one table per telescope.",
    data_level="r1",
    expected_rows=10_000,
    compress=False,
)

# the same trigger columns at R0 (raw files) and DL1 (processed files)
_SUBARRAY_TRIGGER_COLUMNS = _SUBARRAY_INDEX + (
    _TIME,
    Column("tels_with_trigger", "bool", None,
           "Triggered telescopes, mask over the subarray's sorted tel_ids", shape=("n_tels",)),
    _EVENT_TYPE,
)
_TELESCOPE_TRIGGER_COLUMNS = _TEL_INDEX + (
    replace(_TIME, description="Telescope trigger time, CTAO high-resolution timestamp (TAI)"),
    _EVENT_TYPE,
    Column("n_trigger_pixels", "int64", None, "Pixels taking part in the trigger (-1 if unknown)"),
)

CAMERA_CALIBRATION = TableSchema(
    name="camera_calibration",
    path_template=CAMERA_CALIBRATION_PATH,
    columns=(
        _OBS_ID,
        _TEL_ID,
        Column("pedestal_per_sample", "float32", "ADC counts", "Pedestal per sample and gain channel",
               shape=("n_channels", "n_pixels")),
        Column("dc_to_pe", "float32", None,
               "Photo-electrons per ADC count of the pedestal-subtracted sum of a whole pulse "
               "(charge_pe = (sum of samples - n_samples * pedestal_per_sample) * dc_to_pe)",
               shape=("n_channels", "n_pixels")),
        Column("noise", "float32", "ADC counts", "Electronic noise rms per sample (pedestal width)",
               shape=("n_channels", "n_pixels")),
        Column("pixel_status", "uint8", None,
               "Bit flags: 1 high gain available, 2 low gain available, 4 broken (HV off / disabled)",
               shape=("n_pixels",)),
    ),
    index_columns=("obs_id", "tel_id"),
    description="Camera calibration coefficients of a run (pedestals, dc-to-pe, pixel status), one row "
                "per run and telescope, as a calibration pipeline would deliver them.",
    data_level="r0",
    expected_rows=10,
)

R0_SUBARRAY_TRIGGER = TableSchema(
    name="r0_subarray_trigger",
    path_template=R0_SUBARRAY_TRIGGER_PATH,
    columns=_SUBARRAY_TRIGGER_COLUMNS,
    index_columns=_SUBARRAY_KEYS,
    description="Array trigger of every recorded raw event (copied to /dl1/event/subarray/trigger by processing).",
    data_level="r0",
)

R0_TELESCOPE_TRIGGER = TableSchema(
    name="r0_telescope_trigger",
    path_template=R0_TELESCOPE_TRIGGER_PATH,
    columns=_TELESCOPE_TRIGGER_COLUMNS,
    index_columns=_TEL_KEYS,
    description="Telescope triggers of the recorded raw events (a single table).",
    data_level="r0",
)

# ----------------------------------------------------------------------------- DL1

DL1_SUBARRAY_TRIGGER = TableSchema(
    name="dl1_subarray_trigger",
    path_template=DL1_SUBARRAY_TRIGGER_PATH,
    columns=_SUBARRAY_TRIGGER_COLUMNS,
    index_columns=_SUBARRAY_KEYS,
    description="Array trigger of every event.",
    data_level="dl1",
)

DL1_TELESCOPE_TRIGGER = TableSchema(
    name="dl1_telescope_trigger",
    path_template=DL1_TELESCOPE_TRIGGER_PATH,
    columns=_TELESCOPE_TRIGGER_COLUMNS,
    index_columns=_TEL_KEYS,
    description="Telescope triggers of all telescopes (a single table).",
    data_level="dl1",
)

DL1_IMAGES = TableSchema(
    name="dl1_images",
    path_template=DL1_IMAGES_PATH,
    columns=_TEL_INDEX + (
        Column("image", "float32", "p.e.", "Integrated charge per pixel", shape=("n_pixels",)),
        Column("peak_time", "float32", "ns", "Pulse arrival time per pixel", shape=("n_pixels",)),
        Column("image_mask", "bool", None, "True for pixels surviving image cleaning", shape=("n_pixels",)),
        Column("is_valid", "bool", None, "False if charge extraction failed"),
    ),
    index_columns=_TEL_KEYS,
    description="Calibrated camera images, one table per telescope.",
    data_level="dl1",
    expected_rows=50_000,
)


def _prefixed(prefix, columns):
    return tuple(replace(c, name=f"{prefix}_{c.name}") for c in columns)


_HILLAS = (
    Column("intensity", "float64", "p.e.", "Total charge of the cleaned image (size)"),
    Column("skewness", "float64", None, "Asymmetry of the light distribution along the major axis"),
    Column("kurtosis", "float64", None, "Tailedness of the light distribution along the major axis"),
    Column("fov_lon", "float64", "deg", "Centroid longitude, telescope frame"),
    Column("fov_lat", "float64", "deg", "Centroid latitude, telescope frame"),
    Column("r", "float64", "deg", "Centroid distance from the camera centre"),
    Column("phi", "float64", "deg", "Polar angle of the centroid"),
    Column("length", "float64", "deg", "Standard deviation along the major axis"),
    Column("length_uncertainty", "float64", "deg", "Uncertainty of length"),
    Column("width", "float64", "deg", "Standard deviation along the minor axis"),
    Column("width_uncertainty", "float64", "deg", "Uncertainty of width"),
    Column("psi", "float64", "deg", "Orientation angle of the major axis"),
    Column("psi_uncertainty", "float64", "deg", "Uncertainty of psi"),
    Column("transverse_cog_uncertainty", "float64", "deg", "Centroid uncertainty across the major axis"),
)
_TIMING = (
    Column("intercept", "float64", "ns", "Peak time at the centroid, from a linear fit along the major axis"),
    Column("deviation", "float64", "ns", "RMS deviation of the peak times from the linear fit"),
    Column("slope", "float64", "ns / deg", "Peak-time gradient along the major axis (ctapipe labels it deg^-1)"),
)
_LEAKAGE = (
    Column("pixels_width_1", "float64", None, "Fraction of image pixels in the outermost camera ring"),
    Column("pixels_width_2", "float64", None, "Fraction of image pixels in the two outermost rings"),
    Column("intensity_width_1", "float32", None, "Fraction of image charge in the outermost camera ring"),
    Column("intensity_width_2", "float32", None, "Fraction of image charge in the two outermost rings"),
)
_CONCENTRATION = (
    Column("cog", "float64", None, "Charge fraction in pixels within one pixel diameter of the centroid"),
    Column("core", "float64", None, "Charge fraction inside the Hillas ellipse"),
    Column("pixel", "float64", None, "Charge fraction in the brightest pixel"),
)
_MORPHOLOGY = (
    Column("n_pixels", "int64", None, "Pixels in the cleaned image"),
    Column("n_islands", "int64", None, "Connected groups of image pixels"),
    Column("n_small_islands", "int64", None, "Islands of at most 2 pixels"),
    Column("n_medium_islands", "int64", None, "Islands of 3 to 50 pixels"),
    Column("n_large_islands", "int64", None, "Islands of more than 50 pixels"),
)


def _statistics(unit, what):
    return (
        Column("max", "float32", unit, f"Maximum {what} of the image pixels"),
        Column("min", "float32", unit, f"Minimum {what} of the image pixels"),
        Column("mean", "float32", unit, f"Mean {what} of the image pixels"),
        Column("std", "float32", unit, f"Standard deviation of the {what} of the image pixels"),
        Column("skewness", "float64", None, f"Skewness of the {what} of the image pixels"),
        Column("kurtosis", "float64", None, f"Kurtosis of the {what} of the image pixels"),
    )


_IMAGE_PARAMETER_COLUMNS = (
    _prefixed("hillas", _HILLAS)
    + _prefixed("timing", _TIMING)
    + _prefixed("leakage", _LEAKAGE)
    + _prefixed("concentration", _CONCENTRATION)
    + _prefixed("morphology", _MORPHOLOGY)
    + _prefixed("intensity", _statistics("p.e.", "charge"))
    + _prefixed("peak_time", _statistics("ns", "peak time"))
    + (Column("core_psi", "float64", "deg", "Image direction in the tilted ground frame"),)
)

DL1_PARAMETERS = TableSchema(
    name="dl1_parameters",
    path_template=DL1_PARAMETERS_PATH,
    columns=_TEL_INDEX + _IMAGE_PARAMETER_COLUMNS + (
        Column("is_valid", "bool", None,
               "True if the image passed the quality criteria; otherwise the parameters are NaN"),),
    index_columns=_TEL_KEYS,
    description="Image parameters, one table per telescope.",
    data_level="dl1",
)

TRUE_PARAMETERS = TableSchema(
    name="true_parameters",
    path_template=TRUE_PARAMETERS_PATH,
    columns=_TEL_INDEX + _prefixed(
        "true",
        _prefixed("hillas", _HILLAS)
        + _prefixed("leakage", _LEAKAGE)
        + _prefixed("concentration", _CONCENTRATION)
        + _prefixed("morphology", _MORPHOLOGY)
        + _prefixed("intensity", _statistics("p.e.", "true charge")),
    ),
    index_columns=_TEL_KEYS,
    description="Image parameters of the true images (DL1 names with prefix true_).",
    data_level="simulation",
)

# ----------------------------------------------------------------------------- DL2

_TELESCOPES_MASK = Column("{algorithm}_telescopes", "bool", None,
                          "Telescopes used, mask over the subarray's sorted tel_ids", shape=("n_tels",))
_GEOMETRY = (
    Column("alt", "float64", "deg", "Reconstructed altitude"),
    Column("alt_uncert", "float64", "deg", "Uncertainty of alt"),
    Column("az", "float64", "deg", "Reconstructed azimuth"),
    Column("az_uncert", "float64", "deg", "Uncertainty of az"),
    Column("ang_distance_uncert", "float64", "deg", "Uncertainty radius of the reconstructed direction"),
)
_CORE = (
    Column("core_x", "float64", "m", "Reconstructed core position, ground frame x"),
    Column("core_y", "float64", "m", "Reconstructed core position, ground frame y"),
    Column("core_uncert_x", "float64", "m", "Uncertainty of core_x"),
    Column("core_uncert_y", "float64", "m", "Uncertainty of core_y"),
    Column("core_tilted_x", "float64", "m", "Reconstructed core position, tilted frame x"),
    Column("core_tilted_y", "float64", "m", "Reconstructed core position, tilted frame y"),
    Column("core_tilted_uncert_x", "float64", "m", "Uncertainty of core_tilted_x"),
    Column("core_tilted_uncert_y", "float64", "m", "Uncertainty of core_tilted_y"),
    Column("h_max", "float64", "m", "Height of the shower maximum above sea level"),
    Column("h_max_uncert", "float64", "m", "Uncertainty of h_max"),
)
_VALIDITY = (
    Column("is_valid", "bool", None, "True if the reconstruction succeeded"),
    Column("goodness_of_fit", "float64", None, "Algorithm-specific quality of the result"),
)
_ENERGY = (
    Column("energy", "float64", "TeV", "Reconstructed energy"),
    Column("energy_uncert", "float64", "TeV", "Uncertainty of the reconstructed energy"),
)
_CLASSIFICATION = (
    Column("prediction", "float64", None, "Gammaness score in [0, 1], 1 = gamma-like"),
)
_IMPACT = (
    Column("impact_distance", "float64", "m", "Distance of the telescope to the reconstructed shower axis"),
    Column("impact_distance_uncert", "float64", "m", "Uncertainty of impact_distance"),
    Column("disp", "float64", "deg",
           "Signed distance from the image centroid to the reconstructed direction along the image major axis "
           "(telescope frame; iactpipe addition)"),
    Column("miss", "float64", "deg",
           "Distance of the reconstructed direction from the image major axis (telescope frame; iactpipe addition)"),
)
_DISP = (
    Column("parameter", "float64", "deg",
           "Signed disp: distance of the source from the image centroid along the major axis"),
    Column("sign_score", "float64", None, "Confidence of the disp sign, 0 uncertain to 1 certain"),
)


def _dl2_subarray(kind, columns, description):
    return TableSchema(
        name=f"dl2_subarray_{kind}",
        path_template=DL2_SUBARRAY_PATH.replace("{kind}", kind),
        columns=_SUBARRAY_INDEX + _prefixed("{algorithm}", columns) + (_TELESCOPES_MASK,),
        index_columns=_SUBARRAY_KEYS,
        description=description,
        data_level="dl2",
    )


def _dl2_telescope(kind, columns, description):
    return TableSchema(
        name=f"dl2_telescope_{kind}",
        path_template=DL2_TELESCOPE_PATH.replace("{kind}", kind),
        columns=_TEL_INDEX + _prefixed("{algorithm}_tel", columns),
        index_columns=_TEL_KEYS,
        description=description,
        data_level="dl2",
    )


DL2_SUBARRAY_GEOMETRY = _dl2_subarray(
    "geometry", _GEOMETRY + _CORE + _VALIDITY + (
        Column("average_intensity", "float64", "p.e.", "Mean intensity of the images used"),
        Column("multiplicity", "int16", None, "Number of telescope images used (iactpipe addition)"),
        Column("invalid_reason", "uint8", None,
               "0 valid; why the reconstruction failed otherwise: 1 too few usable telescopes, 2 image planes "
               "(nearly) parallel, 3 core undefined, 4 h_max undefined (iactpipe addition; "
               "iactpipe.reco.REASON_NAMES)"),
    ),
    "Stereo shower direction and core, per algorithm. Invalid events have NaN results.")
DL2_SUBARRAY_ENERGY = _dl2_subarray("energy", _ENERGY + _VALIDITY, "Array-level energy estimate, per algorithm.")
DL2_SUBARRAY_CLASSIFICATION = _dl2_subarray(
    "classification", _CLASSIFICATION + _VALIDITY, "Array-level gamma/hadron score, per algorithm.")
DL2_TELESCOPE_GEOMETRY = _dl2_telescope(
    "geometry", _GEOMETRY + _VALIDITY, "Single-telescope direction estimates (e.g. from disp), per algorithm.")
DL2_TELESCOPE_ENERGY = _dl2_telescope(
    "energy", _ENERGY + _VALIDITY, "Single-telescope energy estimates, per algorithm.")
DL2_TELESCOPE_CLASSIFICATION = _dl2_telescope(
    "classification", _CLASSIFICATION + _VALIDITY, "Single-telescope gamma/hadron scores, per algorithm.")
DL2_TELESCOPE_IMPACT = _dl2_telescope(
    "impact", _IMPACT, "Impact distance of each telescope to the reconstructed axis, per algorithm.")
DL2_TELESCOPE_DISP = _dl2_telescope("disp", _DISP, "Disp estimates per telescope, per algorithm.")

# ----------------------------------------------------------------------------- registry

_ALL = (
    SUBARRAY_LAYOUT, OPTICS, CAMERA_GEOMETRY, CAMERA_READOUT, TELESCOPE_POINTING,
    SIMULATION_RUN, SHOWER_DISTRIBUTION, SHOWER, TRUE_IMAGES, TRUE_PARAMETERS, TRUE_IMPACT,
    R0, R0_SUBARRAY_TRIGGER, R0_TELESCOPE_TRIGGER, CAMERA_CALIBRATION, R1,
    DL1_SUBARRAY_TRIGGER, DL1_TELESCOPE_TRIGGER, DL1_IMAGES, DL1_PARAMETERS,
    DL2_SUBARRAY_GEOMETRY, DL2_SUBARRAY_ENERGY, DL2_SUBARRAY_CLASSIFICATION,
    DL2_TELESCOPE_GEOMETRY, DL2_TELESCOPE_ENERGY, DL2_TELESCOPE_CLASSIFICATION,
    DL2_TELESCOPE_IMPACT, DL2_TELESCOPE_DISP,
)

#: All schemas by name, in documentation order.
SCHEMAS = MappingProxyType({schema.name: schema for schema in _ALL})
if len(SCHEMAS) != len(_ALL):  # a programming error, caught by the test suite at import
    raise RuntimeError("table schema names must be unique")


def get_schema(name):
    """The `TableSchema` named ``name`` (see `SCHEMAS`)."""
    try:
        return SCHEMAS[name]
    except KeyError:
        raise KeyError(f"unknown table schema {name!r}; known: {', '.join(SCHEMAS)}") from None


def _template_regex(template):
    pattern = re.escape(template)
    pattern = pattern.replace(re.escape("{tel}"), r"(?P<tel>tel_\d{3,})")
    pattern = pattern.replace(re.escape("{algorithm}"), r"(?P<algorithm>[^/]+)")
    pattern = pattern.replace(re.escape("{camera_index}"), r"(?P<camera_index>[0-9]+)")
    return re.compile(pattern + "$")


_PATH_PATTERNS = tuple((schema, _template_regex(schema.path_template)) for schema in _ALL)


def match_path(path):
    """Find the schema a concrete table path belongs to.

    Parameters
    ----------
    path : str
        Absolute node path, e.g. ``/dl1/event/telescope/parameters/tel_001``.

    Returns
    -------
    (TableSchema, dict) or None
        The schema and the path keys (``tel_id``, ``algorithm``, ``camera_index``) found
        in the path; None if no schema matches.
    """
    for schema, regex in _PATH_PATTERNS:
        match = regex.match(str(path))
        if match is None:
            continue
        keys = match.groupdict()
        if "tel" in keys:
            keys["tel_id"] = tel_id_from_table_name(keys.pop("tel"))
        if "camera_index" in keys:
            keys["camera_index"] = int(keys["camera_index"])
        return schema, keys
    return None
