"""Fixtures of the I/O tests: toy instruments and random table batches."""
from dataclasses import replace
import string

import numpy as np
import pytest

from iactpipe.instrument import (CameraGeometry, CameraReadout, OpticsDescription, ReferenceLocation,
                                 SubarrayDescription, TelescopeDescription)

#: Cell sizes used for random batches (small so the tests stay fast).
TOY_DIMS = {"n_channels": 2, "n_pixels": 7, "n_samples": 5, "n_tels": 4, "n_energy_edges": 6,
            "n_core_edges": 4, "n_energy_bins": 5, "n_core_bins": 3}


def _random_strings(rng, n, max_length):
    letters = np.array(list(string.ascii_letters + string.digits + "_-"))
    lengths = rng.integers(1, min(max_length, 12) + 1, size=n)
    return np.array(["".join(rng.choice(letters, size=k)) for k in lengths])


def _random_column(column, n, rng):
    shape = (n,) + column.shape
    if column.kind == "time":
        out = np.empty(shape, np.uint32)
        out[..., 0] = rng.integers(1_600_000_000, 1_800_000_000, size=n)
        out[..., 1] = rng.integers(0, 4_000_000_000, size=n)
        return out
    if column.is_string:
        return _random_strings(rng, n, column.max_length)
    dtype = np.dtype(column.dtype)
    if dtype.kind == "b":
        return rng.random(shape) > 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    values = rng.normal(scale=100.0, size=shape).astype(dtype)
    values.flat[::7] = np.nan  # NaN must survive the round trip too
    return values


@pytest.fixture
def make_batch():
    """``make_batch(schema, n, rng)``: dict of random column arrays matching ``schema``."""

    def make(schema, n, rng, dims=TOY_DIMS):
        resolved = schema.resolved(dims=dims, algorithm="TestAlgo" if "{algorithm}" in schema.path_template
                                   else None)
        return {c.name: _random_column(c, n, rng) for c in resolved.columns}

    return make


@pytest.fixture
def rng():
    """A seeded generator, local to each test."""
    return np.random.default_rng(20240131)


def _hex_camera(name):
    angles = np.deg2rad(np.arange(6) * 60.0)
    pitch = 0.05
    pix_x = np.concatenate([[0.0], pitch * np.cos(angles)])
    pix_y = np.concatenate([[0.0], pitch * np.sin(angles)])
    return CameraGeometry(name, pix_x, pix_y, pix_area=0.00216, pix_type="hexagon", pix_rotation_deg=30.0)


def _square_camera(name):
    pix_x, pix_y = np.meshgrid([-0.003, 0.003], [-0.003, 0.003])
    return CameraGeometry(name, pix_x.ravel(), pix_y.ravel(), pix_area=0.006 ** 2, pix_type="square",
                          pix_id=[10, 11, 12, 13])


@pytest.fixture
def toy_subarray():
    """Three telescopes of two types (7-pixel hexagonal 2-gain camera, 4-pixel square 1-gain camera)."""
    rng = np.random.default_rng(5)
    hex_camera = _hex_camera("ToyHexCam")
    square_camera = _square_camera("ToySqCam")
    hex_readout = CameraReadout("ToyHexCam", 1.024, 40, 2, rng.random((2, 33)), 0.0244140625)
    square_readout = CameraReadout("ToySqCam", 0.25, 25, 1, rng.random((1, 17)), 0.125)
    mst = OpticsDescription("MST", "MST", "davies-cotton", 106.0, 1, 86, 16.0, 16.44, 0.02)
    sst = OpticsDescription("ASTRI", "SST", "schwarzschild-couder", 14.126, 2, 2, 2.15)
    if "focal_length_choice" in OpticsDescription.__dataclass_fields__:  # non-default value must survive
        sst = replace(sst, focal_length_choice="equivalent")
    tel_mst = TelescopeDescription("MST_MST_ToyHexCam", "MST", mst, hex_camera, hex_readout)
    tel_sst = TelescopeDescription("SST_ASTRI_ToySqCam", "SST", sst, square_camera, square_readout)
    return SubarrayDescription(
        name="toy-array",
        tel_ids=[3, 1, 2],
        positions_m=[[10.5, -3.25, 1.0], [0.0, 0.0, 0.0], [-120.125, 80.0, 2.5]],
        telescopes=[tel_sst, tel_mst, tel_mst],
        reference_location=ReferenceLocation(-17.891497, 28.761526, 2147.0),
    )
