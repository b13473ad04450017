"""Provenance: what produced a file, from which inputs, with which configuration.

A `Provenance` is a plain value object built once per job by `collect_provenance` and
handed to the writer (there is no process-wide provenance registry). It records software
versions, the full configuration text, input files with their SHA-256 checksums, the
random seed, the UTC creation time, host, user and command line.

Layout in an HDF5 file (root attributes):

* ``IACTPIPE_PROVENANCE``: the full record as JSON (`Provenance.to_dict`). HDF5 limits an
  attribute to 64 KiB, so a larger record goes to the uint8 array
  `~iactpipe.io.datamodel.PROVENANCE_NODE_PATH` instead and the attribute
  ``IACTPIPE_PROVENANCE_NODE`` names it.
* flat keys for quick inspection with any HDF5 tool: ``CREATOR``, ``SOFTWARE_VERSION``,
  ``CREATED``, ``SEED`` (only if a seed was used), ``ACTIVITY``,
  ``IACTPIPE_DATA_MODEL_VERSION``;
* CTA reference-metadata keys as written by ctapipe: ``CTA PRODUCT DATA LEVELS``,
  ``CTA PRODUCT CREATION TIME``, ``CTA PRODUCT FORMAT``, ``CTA PRODUCT DATA MODEL NAME``,
  ``CTA PRODUCT DATA MODEL VERSION``, ``CTA ACTIVITY NAME``, ``CTA ACTIVITY SOFTWARE NAME``,
  ``CTA ACTIVITY SOFTWARE VERSION``.
"""
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
import getpass
import hashlib
from importlib.metadata import PackageNotFoundError, version as package_version
import json
import logging
import os
from pathlib import Path
import platform
import socket
import sys
import warnings

from ..version import __version__
from .datamodel import DATA_MODEL_VERSION, PROVENANCE_NODE_PATH

__all__ = [
    "InputFile",
    "Provenance",
    "TRACKED_PACKAGES",
    "sha256_file",
    "software_versions",
    "collect_provenance",
    "write_provenance",
    "read_provenance",
    "utc_now_iso",
]

log = logging.getLogger(__name__)

#: Distributions whose versions are recorded (looked up in package metadata, not imported).
TRACKED_PACKAGES = ("iactpipe", "numpy", "numba", "tables", "astropy", "pandas", "scipy",
                    "pyyaml", "eventio", "lightgbm", "pyirf", "snakemake")

_MAX_ATTRIBUTE_BYTES = 60_000  # below HDF5's 64 KiB object-header message limit
_HASH_BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class InputFile:
    """An input file of a job.

    Parameters
    ----------
    path : str
        Path as given to the job (absolute paths are kept absolute).
    sha256 : str
        Hex SHA-256 checksum of the content.
    size_bytes : int
        File size, bytes.
    """

    path: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class Provenance:
    """Record of how a data product was made.

    Parameters
    ----------
    activity : str
        What ran, e.g. ``"process"`` or ``"simulate"``.
    software : dict
        Name -> version of the software used (python, HDF5 and the `TRACKED_PACKAGES`).
    config : str
        The full configuration text ('' if none).
    config_format : str
        ``"json"``, ``"yaml"``, ``"text"`` or '' (no configuration).
    inputs : tuple of InputFile
        Input files with checksums.
    seed : int or None
        Random seed used, None if the job used no randomness.
    created : str
        Creation time, UTC, ISO 8601 with milliseconds (``2026-01-31T12:00:00.000Z``).
    host : str
        Host name.
    user : str
        User name.
    command_line : tuple of str
        The command line (``sys.argv`` by default).
    platform : str
        Operating system and machine.
    """

    activity: str
    software: dict
    config: str = ""
    config_format: str = ""
    inputs: tuple = ()
    seed: int = None
    created: str = ""
    host: str = ""
    user: str = ""
    command_line: tuple = ()
    platform: str = ""
    data_model_version: str = DATA_MODEL_VERSION
    extra: dict = field(default_factory=dict)

    def to_dict(self):
        """The record as JSON-compatible dict."""
        out = asdict(self)
        out["inputs"] = [asdict(i) for i in self.inputs]
        out["command_line"] = list(self.command_line)
        return out

    def to_json(self):
        """The record as a JSON string (keys sorted, so equal records give equal text)."""
        return json.dumps(self.to_dict(), sort_keys=True, default=_json_default)

    @classmethod
    def from_dict(cls, data):
        """Inverse of `to_dict`; unknown keys go to ``extra`` so newer files stay readable."""
        data = dict(data)
        known = set(cls.__dataclass_fields__)
        extra = {k: data.pop(k) for k in list(data) if k not in known}
        data["inputs"] = tuple(InputFile(**i) for i in data.get("inputs", ()))
        data["command_line"] = tuple(data.get("command_line", ()))
        data["extra"] = {**data.get("extra", {}), **extra}
        return cls(**data)

    @property
    def software_version(self):
        """Version of iactpipe that made the product."""
        return self.software.get("iactpipe", "")


def _json_default(value):
    """Make numpy scalars/arrays and paths JSON-serialisable (configs often hold them)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (Path, os.PathLike)):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def sha256_file(path, block_bytes=_HASH_BLOCK_BYTES):
    """SHA-256 checksum of a file, read in blocks (memory use independent of file size).

    Parameters
    ----------
    path : str or os.PathLike
    block_bytes : int
        Read size, bytes.

    Returns
    -------
    str
        Hex digest.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(block_bytes), b""):
            digest.update(block)
    return digest.hexdigest()


def software_versions(packages=TRACKED_PACKAGES):
    """Versions of python, the HDF5 library and installed ``packages``.

    Package versions come from installed metadata, so nothing heavy (numba) is imported.
    Packages that are not installed are left out.
    """
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = package_version(name)
        except PackageNotFoundError:
            continue
    versions["iactpipe"] = __version__  # source trees report their own version too
    if "tables" in sys.modules:  # the HDF5 C library, only if PyTables is loaded anyway
        versions["hdf5"] = sys.modules["tables"].hdf5_version
    return versions


def _config_text(config, config_format):
    if config is None:
        return "", ""
    if isinstance(config, (bytes, bytearray)):
        config = config.decode("utf-8")
    if isinstance(config, str):
        return config, config_format or "yaml"
    text = json.dumps(config, sort_keys=True, default=_json_default)
    return text, "json"


def _describe_inputs(inputs):
    records = []
    for path in inputs:
        path = Path(path)
        records.append(InputFile(path=os.fspath(path), sha256=sha256_file(path),
                                 size_bytes=path.stat().st_size))
        log.debug("hashed input %s", path)
    return tuple(records)


def _safe(function, default=""):
    try:
        return function()
    except Exception:  # e.g. getpass in containers without a passwd entry
        return default


def utc_now_iso():
    """Current UTC time, ISO 8601 with milliseconds and a ``Z`` suffix."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def collect_provenance(activity="", config=None, inputs=(), seed=None, argv=None,
                       config_format=None, packages=TRACKED_PACKAGES):
    """Build the `Provenance` of the current job.

    Parameters
    ----------
    activity : str
        Name of the stage, e.g. ``"process"``.
    config : dict or str or None
        The full configuration: a mapping is stored as sorted JSON, a string verbatim.
    inputs : iterable of path-like
        Input files; each is hashed (SHA-256, streamed).
    seed : int or None
        Random seed used by the job.
    argv : sequence of str, optional
        Command line; ``sys.argv`` by default.
    config_format : str, optional
        Format label of a string ``config`` (default ``"yaml"``).
    packages : sequence of str
        Distributions whose versions to record.

    Returns
    -------
    Provenance
    """
    text, text_format = _config_text(config, config_format)
    return Provenance(
        activity=str(activity),
        software=software_versions(packages),
        config=text,
        config_format=text_format,
        inputs=_describe_inputs(inputs),
        seed=None if seed is None else int(seed),
        created=utc_now_iso(),
        host=_safe(socket.gethostname),
        user=_safe(getpass.getuser),
        command_line=tuple(str(a) for a in (sys.argv if argv is None else argv)),
        platform=_safe(lambda: f"{platform.system()} {platform.release()} {platform.machine()}"),
    )


def _flat_attributes(provenance, data_products):
    attrs = {
        "CREATOR": f"iactpipe {provenance.software_version}".strip(),
        "SOFTWARE_VERSION": provenance.software_version,
        "CREATED": provenance.created,
        "ACTIVITY": provenance.activity,
        "IACTPIPE_DATA_MODEL_VERSION": provenance.data_model_version,
        "CTA PRODUCT DATA LEVELS": ",".join(data_products),
        "CTA PRODUCT CREATION TIME": provenance.created,
        "CTA PRODUCT FORMAT": "hdf5",
        "CTA PRODUCT DATA MODEL NAME": "iactpipe",
        "CTA PRODUCT DATA MODEL VERSION": provenance.data_model_version,
        "CTA ACTIVITY NAME": provenance.activity,
        "CTA ACTIVITY SOFTWARE NAME": "iactpipe",
        "CTA ACTIVITY SOFTWARE VERSION": provenance.software_version,
    }
    if provenance.seed is not None:
        attrs["SEED"] = int(provenance.seed)
    return attrs


def write_provenance(h5file, provenance, data_products=()):
    """Store ``provenance`` as root attributes of an open, writable `tables.File`.

    Parameters
    ----------
    h5file : tables.File
    provenance : Provenance
    data_products : sequence of str
        Data-product labels for ``CTA PRODUCT DATA LEVELS`` (e.g. ``("DL1_IMAGES",
        "DL1_PARAMETERS")``, see `iactpipe.io.datamodel.data_products_from_paths`).
    """
    import numpy as np

    import tables

    root_attrs = h5file.root._v_attrs
    with warnings.catch_warnings():
        # "CTA PRODUCT ..." keys contain spaces (ctapipe's names); fine for HDF5, not for natural naming
        warnings.simplefilter("ignore", tables.NaturalNameWarning)
        for key, value in _flat_attributes(provenance, data_products).items():
            root_attrs[key] = value
    text = provenance.to_json()
    encoded = text.encode("utf-8")
    if len(encoded) <= _MAX_ATTRIBUTE_BYTES:
        root_attrs["IACTPIPE_PROVENANCE"] = text
        return
    group, _, name = PROVENANCE_NODE_PATH.rpartition("/")
    if PROVENANCE_NODE_PATH in h5file:
        h5file.remove_node(PROVENANCE_NODE_PATH)
    h5file.create_array(group, name, obj=np.frombuffer(encoded, dtype=np.uint8), createparents=True,
                        title="iactpipe provenance record, UTF-8 JSON")
    root_attrs["IACTPIPE_PROVENANCE_NODE"] = PROVENANCE_NODE_PATH
    log.debug("provenance record of %d bytes stored in %s", len(encoded), PROVENANCE_NODE_PATH)


def read_provenance(h5file_or_path):
    """Read the `Provenance` of a file written by iactpipe.

    Parameters
    ----------
    h5file_or_path : tables.File or path-like

    Returns
    -------
    Provenance or None
        None if the file carries no iactpipe provenance (e.g. a ctapipe file).
    """
    import tables

    if isinstance(h5file_or_path, tables.File):
        return _read_provenance(h5file_or_path)
    from .checks import open_hdf5

    with open_hdf5(h5file_or_path) as h5file:
        return _read_provenance(h5file)


def _read_provenance(h5file):
    attrs = h5file.root._v_attrs
    names = set(attrs._v_attrnamesuser)
    if "IACTPIPE_PROVENANCE" in names:
        text = str(attrs["IACTPIPE_PROVENANCE"])
    elif "IACTPIPE_PROVENANCE_NODE" in names:
        text = h5file.get_node(str(attrs["IACTPIPE_PROVENANCE_NODE"])).read().tobytes().decode("utf-8")
    else:
        return None
    return Provenance.from_dict(json.loads(text))
