"""Validate the generated CTAO cameras against the real sim_telarray geometries.

Each of the 7 cameras built by `iactpipe.instrument.cameras` from published parameters is
compared with the same camera read (through `iactpipe.io.simtel.read_subarray`) from
``calib_events.simtel.gz``, which holds one telescope of each type:

* same pixel count, pixel shape, pixel area and pixel rotation (modulo the lattice
  symmetry);
* pixel positions: after choosing the best orientation among the lattice symmetries
  (multiples of 60° for hexagons, 90° for squares) with and without a mirror flip, every
  generated pixel is matched one-to-one to its nearest real pixel and the largest
  distance must be below 10 % of the pixel pitch;
* same neighbour-count histogram (our `compute_neighbors` on both);
* same outer field of view (`fov_diameter_deg` with the file's equivalent focal length)
  within 2 %.

Measured agreement (largest position difference / pixel pitch, best orientation):
LSTCam 2.4e-4, NectarCam 2.4e-4, FlashCam 1.0e-5, CHEC 5.8e-4, ASTRICam 2.9e-4,
DigiCam 2.1e-4, SCTCam 1.2e-3 — every pixel set is reproduced exactly. The residuals
are the file's float32 storage and 0.01 mm rounding of the square-pixel positions (CHEC,
SCTCam; SCTCam also the published 6.687 mm against the file's 6.6875 mm pitch), the
file's camera rotation rounded to 100.893° against our exact 120° − arctan(√3/5)
(LSTCam/NectarCam: 3.9e-4° = 8 µm at the edge), and for ASTRICam the stated focal-surface
radius of 1060 mm against the 1058 mm that fits the projected pitches best. The
tests therefore also assert a tight regression bound of 0.5 % of the pitch, and that the
generated cameras need neither a rotation nor a mirror flip to match (the builders
reproduce the file's orientation, not just its shape). Neighbour histograms are equal
and the FoV differs by less than 1e-5 relative for all 7 cameras.
"""
import numpy as np
import pytest
from scipy.spatial import cKDTree

from iactpipe.instrument.camera import PixelShape
from iactpipe.instrument.cameras import CAMERA_BUILDERS
from iactpipe.io.simtel import read_subarray

CAMERA_NAMES = sorted(CAMERA_BUILDERS)

#: Required by the issue: positions within 10 % of the pitch.
POSITION_TOLERANCE = 0.10
#: Regression bound on the measured agreement (largest measured: 1.2e-3, SCTCam).
MEASURED_POSITION_BOUND = 0.005
FOV_TOLERANCE = 0.02


@pytest.fixture(scope="module")
def calib_subarray(calib_events_path):
    """The instrument of ``calib_events.simtel.gz``, read by our reader."""
    return read_subarray(calib_events_path)


@pytest.fixture(scope="module")
def real_telescopes(calib_subarray):
    """``{camera name: TelescopeDescription}`` of the 7 real cameras."""
    telescopes = {tel.camera.name: tel for tel in calib_subarray.telescopes}
    assert sorted(telescopes) == CAMERA_NAMES
    return telescopes


@pytest.fixture(scope="module")
def generated():
    """``{camera name: CameraGeometry}`` built from published parameters."""
    return {name: build() for name, build in CAMERA_BUILDERS.items()}


def _symmetry_deg(geometry):
    return 60.0 if geometry.pix_type is PixelShape.HEXAGON else 90.0


def _oriented(geometry, angle_deg, mirror):
    """Pixel centres of ``geometry`` mirrored (y -> -y) if asked, then turned by ``angle_deg``."""
    x, y = geometry.pix_x, (-geometry.pix_y if mirror else geometry.pix_y)
    angle = np.deg2rad(angle_deg)
    return np.column_stack([np.cos(angle) * x - np.sin(angle) * y, np.sin(angle) * x + np.cos(angle) * y])


def _one_to_one_max_distance(points, reference):
    """Largest distance of a one-to-one nearest-pixel matching of ``points`` onto ``reference``.

    Every point is matched to its nearest reference pixel; this is a one-to-one matching
    only if no reference pixel is taken twice, otherwise infinity is returned.
    """
    distances, index = cKDTree(reference).query(points)
    if len(np.unique(index)) != len(points):
        return np.inf
    return float(distances.max())


def best_alignment(generated_geometry, real_geometry):
    """Best orientation (lattice-symmetry rotation, optional mirror) of a generated camera.

    Returns
    -------
    max_distance_m : float
        Largest matched distance in the best orientation.
    angle_deg : float
    mirror : bool
    """
    reference = np.column_stack([real_geometry.pix_x, real_geometry.pix_y])
    step = _symmetry_deg(generated_geometry)
    best = (np.inf, 0.0, False)
    for mirror in (False, True):
        for angle in np.arange(0.0, 360.0, step):
            distance = _one_to_one_max_distance(_oriented(generated_geometry, angle, mirror), reference)
            # prefer the plain orientation when several are equally good (symmetric cameras)
            if distance < best[0] * (1 - 1e-6):
                best = (distance, float(angle), mirror)
    return best


@pytest.mark.parametrize("name", CAMERA_NAMES)
def test_pixel_count_shape_and_area(name, generated, real_telescopes):
    ours, real = generated[name], real_telescopes[name].camera
    assert ours.n_pixels == real.n_pixels
    assert ours.pix_type is real.pix_type
    np.testing.assert_allclose(ours.pix_area, real.pix_area, rtol=1e-6)
    assert ours.cam_rotation_deg == real.cam_rotation_deg == 0.0
    symmetry = _symmetry_deg(ours)
    difference = (ours.pix_rotation_deg - real.pix_rotation_deg) % symmetry
    # LSTCam/NectarCam: we use the exact 120° - arctan(√3/5) = 100.89339°, the file the
    # configured, rounded 100.893° (measured difference 3.9e-4°)
    assert min(difference, symmetry - difference) < 1e-3


@pytest.mark.parametrize("name", CAMERA_NAMES)
def test_pixel_positions_match(name, generated, real_telescopes):
    ours, real = generated[name], real_telescopes[name].camera
    distance, angle, mirror = best_alignment(ours, real)
    pitch = real.pixel_pitch
    assert distance < POSITION_TOLERANCE * pitch, (name, distance / pitch, angle, mirror)
    assert distance < MEASURED_POSITION_BOUND * pitch, (name, distance / pitch, angle, mirror)
    # the builders reproduce the file's orientation itself, not only a symmetric copy
    reference = np.column_stack([real.pix_x, real.pix_y])
    plain = _one_to_one_max_distance(_oriented(ours, 0.0, False), reference)
    assert plain < MEASURED_POSITION_BOUND * pitch, (name, plain / pitch)


@pytest.mark.parametrize("name", CAMERA_NAMES)
def test_neighbor_histogram_equal(name, generated, real_telescopes):
    ours, real = generated[name], real_telescopes[name].camera
    np.testing.assert_array_equal(np.bincount(ours.n_neighbors, minlength=9),
                                  np.bincount(real.n_neighbors, minlength=9))


@pytest.mark.parametrize("name", CAMERA_NAMES)
def test_field_of_view_matches(name, generated, real_telescopes):
    tel = real_telescopes[name]
    focal_length = tel.optics.equivalent_focal_length_m
    ours = generated[name].fov_diameter_deg(focal_length)
    real = tel.camera.fov_diameter_deg(focal_length)
    assert ours == pytest.approx(real, rel=FOV_TOLERANCE)
    assert ours == pytest.approx(real, rel=1e-4)  # measured: < 1e-5
    assert generated[name].pixel_pitch == pytest.approx(tel.camera.pixel_pitch, rel=1e-3)


@pytest.mark.parametrize("name, pixels_per_module", [
    ("LSTCam", 7), ("NectarCam", 7), ("FlashCam", 12), ("ASTRICam", 64),
])
def test_generated_modules_are_the_real_drawers(name, pixels_per_module, generated, calib_subarray,
                                                calib_events_path):
    """Builders number pixels module by module; those modules are the file's drawers.

    (CHEC's drawers are a readout grouping, DigiCam and SCTCam list one drawer per
    pixel, so they carry no module information.)
    """
    from eventio import SimTelFile

    tel_id = next(int(tid) for tid, tel in zip(calib_subarray.tel_ids, calib_subarray.telescopes)
                  if tel.camera.name == name)
    real = calib_subarray.telescope(tel_id).camera
    with SimTelFile(str(calib_events_path)) as simtel:
        drawer = np.asarray(simtel.telescope_descriptions[tel_id]["camera_organization"]["drawer"])
    ours = generated[name]
    _, nearest = cKDTree(np.column_stack([real.pix_x, real.pix_y])).query(
        np.column_stack([ours.pix_x, ours.pix_y]))
    module = np.arange(ours.n_pixels) // pixels_per_module
    pairs = set(zip(module.tolist(), drawer[nearest].tolist()))
    assert len(pairs) == module.max() + 1 == len(np.unique(drawer))
