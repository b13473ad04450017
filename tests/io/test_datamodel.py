"""The data-model declarations: paths, names, dtypes, units and the generated docs."""
from pathlib import Path
import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest

from iactpipe.io import datamodel as dm
from iactpipe.io.docs import render_data_model_markdown

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("schema", dm.SCHEMAS.values(), ids=list(dm.SCHEMAS))
def test_schema_declarations_are_consistent(schema):
    assert schema.data_level in dm.TABLE_CATEGORIES
    for column in schema.columns:
        np.dtype(column.dtype)  # a valid numpy dtype
        if column.has_astropy_unit:
            u.Unit(column.unit)  # parseable by astropy
        assert column.description, f"{schema.name}.{column.name} has no description"
    index_dtypes = {"obs_id": "int32", "event_id": "int64", "tel_id": "int16"}
    for name in schema.index_columns:
        if name in index_dtypes:
            assert schema.column(name).dtype == index_dtypes[name]


@pytest.mark.parametrize("schema", dm.SCHEMAS.values(), ids=list(dm.SCHEMAS))
def test_every_concrete_path_matches_back_to_its_schema(schema):
    keys = {}
    if schema.is_per_telescope:
        keys["tel_id"] = 7
    if "algorithm" in schema.path_keys:
        keys["algorithm"] = "RandomForestRegressor"
    if "camera_index" in schema.path_keys:
        keys["camera_index"] = 3
    path = schema.path(**keys)
    found, found_keys = dm.match_path(path)
    assert found.name == schema.name
    for key, value in found_keys.items():
        assert keys[key] == value


def test_ctapipe_paths_and_column_names():
    assert dm.DL1_PARAMETERS.path(tel_id=1) == "/dl1/event/telescope/parameters/tel_001"
    assert dm.R0.path(tel_id=42) == "/r0/event/telescope/tel_042"
    assert dm.DL2_SUBARRAY_ENERGY.path(algorithm="LGBM") == "/dl2/event/subarray/energy/LGBM"
    assert (dm.DL2_TELESCOPE_IMPACT.path(algorithm="HillasReconstructor", tel_id=3)
            == "/dl2/event/telescope/impact/HillasReconstructor/tel_003")
    assert dm.CAMERA_GEOMETRY.path(camera_index=0) == "/configuration/instrument/telescope/camera/geometry_0"
    names = dm.DL1_PARAMETERS.column_names
    for name in ("hillas_intensity", "hillas_length", "timing_slope", "leakage_intensity_width_2",
                 "concentration_cog", "morphology_n_islands", "intensity_std", "peak_time_mean", "core_psi"):
        assert name in names
    assert dm.DL1_PARAMETERS.column("hillas_length").unit == "deg"
    assert u.Unit(dm.SHOWER.column("true_x_max").unit) == u.g / u.cm**2
    assert dm.SIMULATION_RUN.column("max_alt").unit == "deg"  # degrees for us, unlike ctapipe
    geometry = dm.DL2_SUBARRAY_GEOMETRY.resolved(algorithm="HillasReconstructor", dims={"n_tels": 4})
    assert "HillasReconstructor_alt" in geometry.column_names
    assert geometry.column("HillasReconstructor_telescopes").shape == (4,)
    energy = dm.DL2_TELESCOPE_ENERGY.resolved(algorithm="LGBM")
    assert energy.column_names[3:5] == ("LGBM_tel_energy", "LGBM_tel_energy_uncert")


def test_path_requires_its_keys():
    with pytest.raises(ValueError, match="tel_id"):
        dm.DL1_IMAGES.path()
    with pytest.raises(ValueError, match="algorithm"):
        dm.DL2_SUBARRAY_ENERGY.path()
    with pytest.raises(ValueError, match="not usable"):
        dm.DL2_SUBARRAY_ENERGY.path(algorithm="a/b")
    with pytest.raises(ValueError, match="algorithm"):
        dm.DL2_SUBARRAY_ENERGY.resolved()


def test_tel_table_names():
    assert dm.tel_table_name(1) == "tel_001"
    assert dm.tel_table_name(1234) == "tel_1234"
    assert dm.tel_id_from_table_name("/r1/event/telescope/tel_017") == 17
    with pytest.raises(ValueError):
        dm.tel_id_from_table_name("tel_1")
    with pytest.raises(ValueError):
        dm.tel_table_name(-1)


def test_data_levels_from_paths():
    paths = ["/simulation/event/subarray/shower", "/dl1/event/telescope/images/tel_001",
             "/r0/event/telescope/tel_001", "/configuration/instrument/subarray/layout"]
    assert dm.data_levels_from_paths(paths) == ("r0", "dl1")
    assert dm.data_levels_from_paths([]) == ()
    assert dm.data_products_from_paths(paths) == ("R0", "DL1_IMAGES")


def test_placeholders_resolve():
    assert dm.R0.placeholders == ("n_channels", "n_pixels", "n_samples")
    resolved = dm.R0.resolved(dims={"n_channels": 1, "n_pixels": 1855, "n_samples": 40})
    assert resolved.column("waveform").shape == (1, 1855, 40)
    assert resolved.placeholders == ()
    with pytest.raises(ValueError, match="placeholder"):
        dm.Column("x", "float32", shape=("n_bananas",))


def test_readout_schema_has_one_pulse_column_per_channel():
    schema = dm.camera_readout_schema(1)
    assert schema.column_names == ("reference_pulse_shape_channel0", "reference_pulse_sample_time")
    with pytest.raises(ValueError):
        dm.camera_readout_schema(0)


def test_import_is_light():
    code = ("import sys, iactpipe.io, iactpipe.io.datamodel; "
            "print(sorted(m for m in ('tables', 'astropy', 'pandas', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_committed_data_model_docs_are_current():
    committed = PROJECT_ROOT / "docs" / "data_model.md"
    assert committed.read_text(encoding="utf-8") == render_data_model_markdown(), (
        "docs/data_model.md is stale: regenerate it with "
        "`python -c \"from iactpipe.io.docs import write_data_model_markdown as w; w('docs/data_model.md')\"`")


def test_docs_list_every_schema_and_column():
    text = render_data_model_markdown()
    for schema in dm.SCHEMAS.values():
        assert f"### `{schema.name}`" in text
        for column in schema.columns:
            assert f"| `{column.name}` |" in text
