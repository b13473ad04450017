"""Unit tests of the camera generators (`iactpipe.instrument.cameras`, `_lattice`).

The expected numbers are the published/measured ones of REFERENCE.md §1 (pixel counts,
pitches, ring occupancies, neighbour histograms, module rows, field of view); no real
file is needed here (see test_camera_validation.py for the comparison with real files).
"""
import numpy as np
import pytest
from scipy.spatial import cKDTree

from iactpipe.errors import InstrumentError
from iactpipe.instrument import _lattice
from iactpipe.instrument.camera import PixelShape
from iactpipe.instrument.cameras import (
    CAMERA_BUILDERS,
    CircleOutline,
    FlowerModules,
    HexagonOutline,
    SectorModules,
    build_camera_geometry,
    circular_module_mask,
    hexagonal_camera,
    module_mask_from_rows,
    square_camera,
)

# name: (n_pixels, shape, pitch in m, pixel area in m², pixel rotation deg, modules, pixels/module)
PUBLISHED = {
    "LSTCam": (1855, PixelShape.HEXAGON, 0.050, 2079.33e-6, 100.893, 265, 7),
    "NectarCam": (1855, PixelShape.HEXAGON, 0.050, 2079.33e-6, 100.893, 265, 7),
    "FlashCam": (1764, PixelShape.HEXAGON, 0.050, 2079.33e-6, 30.0, 147, 12),
    "DigiCam": (1296, PixelShape.HEXAGON, 0.0236, 466.13e-6, 30.0, 108, 12),
    "CHEC": (2048, PixelShape.SQUARE, 0.006125, 37.5156e-6, 0.0, 32, 64),
    "ASTRICam": (2368, PixelShape.SQUARE, 0.00713, 48.65e-6, 0.0, 37, 64),
    "SCTCam": (11328, PixelShape.SQUARE, 0.006687, 42.25e-6, 0.0, 177, 64),
}

# REFERENCE.md §1.1 "FoV outer" with the equivalent focal length (m)
FOV = {
    "LSTCam": (28.0, 4.93), "NectarCam": (16.0, 8.62), "FlashCam": (16.0, 8.76), "CHEC": (2.283, 9.58),
    "ASTRICam": (2.15, 11.8), "DigiCam": (5.60, 10.14), "SCTCam": (5.5863, 8.73),
}


@pytest.fixture(scope="module")
def cameras():
    return {name: build() for name, build in CAMERA_BUILDERS.items()}


def _axial_rings(geometry, pitch, centre_index):
    """Pixel count per hexagonal ring around pixel ``centre_index``."""
    angle = np.deg2rad(-geometry.pix_rotation_deg)
    x = (np.cos(angle) * geometry.pix_x - np.sin(angle) * geometry.pix_y) / pitch
    y = (np.sin(angle) * geometry.pix_x + np.cos(angle) * geometry.pix_y) / pitch
    x, y = x - x[centre_index], y - y[centre_index]
    r = y / (np.sqrt(3) / 2)
    q = x - r / 2
    q, r = np.round(q).astype(int), np.round(r).astype(int)
    np.testing.assert_allclose(_lattice.axial_to_xy(q, r), (x, y), atol=1e-9)
    return np.bincount(_lattice.hex_distance(q, r))


def _same_point_set(points_a, points_b, tolerance):
    distances, index = cKDTree(points_b).query(points_a)
    return len(np.unique(index)) == len(points_a) == len(points_b) and distances.max() < tolerance


def test_builders_registry():
    assert set(CAMERA_BUILDERS) == set(PUBLISHED)
    for name, build in CAMERA_BUILDERS.items():
        assert build.__doc__ and "REFERENCE.md" in build.__doc__


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_numbers(name, cameras):
    n_pixels, shape, pitch, area, rotation, _, _ = PUBLISHED[name]
    geometry = cameras[name]
    assert geometry.name == name
    assert geometry.n_pixels == n_pixels
    assert geometry.pix_type is shape
    assert geometry.pixel_pitch == pytest.approx(pitch, rel=2e-3)
    np.testing.assert_allclose(geometry.pix_area, area, rtol=2e-5)
    assert geometry.pix_rotation_deg == pytest.approx(rotation, abs=1e-3)
    assert geometry.cam_rotation_deg == 0.0
    assert geometry.pix_x.dtype == np.float64
    # no overlapping pixels; centred camera
    distances, _ = cKDTree(np.column_stack([geometry.pix_x, geometry.pix_y])).query(
        np.column_stack([geometry.pix_x, geometry.pix_y]), k=2)
    assert distances[:, 1].min() > 0.98 * geometry.pixel_pitch
    assert abs(geometry.pix_x.mean()) < 1e-9 and abs(geometry.pix_y.mean()) < 1e-9


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_field_of_view_published(name, cameras):
    focal_length, fov = FOV[name]
    assert cameras[name].fov_diameter_deg(focal_length) == pytest.approx(fov, rel=5e-3)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_modules_are_compact_groups(name, cameras):
    """Pixels are numbered module by module; each module is one compact block."""
    *_, n_modules, per_module = PUBLISHED[name]
    geometry = cameras[name]
    assert geometry.n_pixels == n_modules * per_module
    x = geometry.pix_x.reshape(n_modules, per_module) / geometry.pixel_pitch
    y = geometry.pix_y.reshape(n_modules, per_module) / geometry.pixel_pitch
    extent = np.hypot(x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True)).max(axis=1)
    # flower: 1 pitch; 12-pixel parallelogram: < 2.2 pitches; 8x8 square: 3.5 * sqrt(2)
    # (+1 % for ASTRICam, whose tile pitch exceeds its median projected pitch)
    limit = {7: 1.0, 12: 2.2, 64: 3.5 * np.sqrt(2)}[per_module]
    assert extent.max() <= 1.01 * limit


def test_lst_ring_occupancy_and_symmetry(cameras):
    """REFERENCE §1.2: rings 0–22 complete, then 114, 96, 72, 42, 12; 6-fold symmetric."""
    geometry = cameras["LSTCam"]
    centre = np.argmin(np.hypot(geometry.pix_x, geometry.pix_y))
    assert np.hypot(geometry.pix_x[centre], geometry.pix_y[centre]) < 1e-12
    rings = _axial_rings(geometry, 0.050, centre)
    np.testing.assert_array_equal(rings[:23], [1] + [6 * k for k in range(1, 23)])
    np.testing.assert_array_equal(rings[23:], [114, 96, 72, 42, 12])
    points = np.column_stack([geometry.pix_x, geometry.pix_y])
    turned = _lattice.rotate_xy(geometry.pix_x, geometry.pix_y, 60.0)
    assert _same_point_set(np.column_stack(turned), points, 1e-9)


def test_lst_drawer_lattice_is_along_camera_axes(cameras):
    """The 7-pixel drawers form a √7 × 50 mm lattice along 0° (mod 60°)."""
    geometry = cameras["LSTCam"]
    centres = np.column_stack([geometry.pix_x[::7], geometry.pix_y[::7]])
    distances, index = cKDTree(centres).query(centres, k=2)
    assert distances[:, 1] == pytest.approx(np.sqrt(7) * 0.050, rel=1e-9)
    step = centres[index[:, 1]] - centres
    angles = np.rad2deg(np.arctan2(step[:, 1], step[:, 0])) % 60.0
    assert np.all(np.minimum(angles, 60.0 - angles) < 1e-6)


@pytest.mark.parametrize("name, pitch, complete, tail", [
    ("FlashCam", 0.050, 21, [121, 108, 90, 72, 54, 36, 18, 4]),
    ("DigiCam", 0.0236, 18, [103, 90, 72, 54, 36, 18, 4]),
])
def test_vertex_centred_ring_occupancy(name, pitch, complete, tail, cameras):
    """REFERENCE §1.2: centre on a vertex (nearest pixels at pitch/√3), ring counts."""
    geometry = cameras[name]
    radius = np.hypot(geometry.pix_x, geometry.pix_y)
    nearest = np.argsort(radius)[:4]
    np.testing.assert_allclose(radius[nearest[:3]], pitch / np.sqrt(3), rtol=1e-9)
    assert radius[nearest[3]] > pitch
    for centre in nearest[:3]:  # the same around each of the 3 central pixels (3-fold symmetry)
        rings = _axial_rings(geometry, pitch, centre)
        np.testing.assert_array_equal(rings[:complete], [1] + [6 * k for k in range(1, complete)])
        np.testing.assert_array_equal(rings[complete:], tail)


def test_flashcam_is_three_fold_not_six_fold(cameras):
    geometry = cameras["FlashCam"]
    points = np.column_stack([geometry.pix_x, geometry.pix_y])
    assert _same_point_set(np.column_stack(_lattice.rotate_xy(*points.T, 120.0)), points, 1e-9)
    assert not _same_point_set(np.column_stack(_lattice.rotate_xy(*points.T, 60.0)), points, 1e-3)


@pytest.mark.parametrize("name, counts", [
    ("LSTCam", {6: 1687, 5: 54, 4: 54, 3: 60}),
    ("NectarCam", {6: 1687, 5: 54, 4: 54, 3: 60}),
    ("FlashCam", {6: 1599}),
    ("DigiCam", {6: 1155}),
])
def test_neighbor_histograms_published(name, counts, cameras):
    histogram = np.bincount(cameras[name].n_neighbors, minlength=7)
    for n_neighbors, count in counts.items():
        assert histogram[n_neighbors] == count


@pytest.mark.parametrize("n, radius, rows", [
    (6, 3.25, (4, 6, 6, 6, 6, 4)),  # CHEC: 6x6 minus the 4 corners
    (7, 3.4, (3, 5, 7, 7, 7, 5, 3)),  # ASTRICam
    (15, 7.5, (5, 9, 11, 13, 13, 15, 15, 15, 15, 15, 13, 13, 11, 9, 5)),  # SCTCam
])
def test_circular_module_masks_give_published_rows(n, radius, rows):
    mask = circular_module_mask(n, radius)
    np.testing.assert_array_equal(mask.sum(axis=1), rows)
    np.testing.assert_array_equal(mask, module_mask_from_rows(rows))


@pytest.mark.parametrize("name, pitch_inside, pitch_across", [
    ("CHEC", 6.125e-3, 11.405e-3), ("SCTCam", 6.687e-3, 7.191e-3),
])
def test_square_module_gaps(name, pitch_inside, pitch_across, cameras):
    """REFERENCE §1.3: pixel-centre spacing inside a module and across a module boundary."""
    columns = np.unique(np.round(cameras[name].pix_x, 9))
    steps = np.unique(np.round(np.diff(columns), 7))
    np.testing.assert_allclose(steps, [pitch_inside, pitch_across], atol=1e-6)


def test_astricam_curvature_shrinks_the_projected_pitch(cameras):
    """REFERENCE §1.1/1.3: projected pitch 7.07–7.18 mm, largest in the central module."""
    columns = np.unique(np.round(cameras["ASTRICam"].pix_x, 12)).reshape(7, 8)
    pitch = np.diff(columns, axis=1)
    assert np.ptp(pitch, axis=1).max() < 1e-11  # flat tiles: uniform inside a module
    per_module = pitch[:, 0] * 1e3
    np.testing.assert_allclose(per_module, per_module[::-1])
    assert per_module[3] == pytest.approx(7.175, abs=1e-9)  # untilted central module
    assert per_module[0] == pytest.approx(7.075, abs=1e-3)
    assert np.all(np.diff(per_module[:4]) > 0)
    module_centres = columns.mean(axis=1)
    np.testing.assert_allclose(np.diff(module_centres), 0.0588, rtol=1e-9)


def test_build_camera_geometry(cameras):
    geometry = build_camera_geometry("FlashCam")
    np.testing.assert_array_equal(geometry.pix_x, cameras["FlashCam"].pix_x)
    assert build_camera_geometry("lstcam").name == "LSTCam"  # prod6 spells it "LSTcam"
    with pytest.raises(InstrumentError, match="unknown camera 'HESS-1U'.*LSTCam.*SCTCam"):
        build_camera_geometry("HESS-1U")


@pytest.mark.parametrize("n_rings", [0, 1, 5])
def test_hexagon_outline_counts(n_rings):
    geometry = hexagonal_camera("hex", 0.05, HexagonOutline(n_rings))
    assert geometry.n_pixels == 1 + 3 * n_rings * (n_rings + 1)


@pytest.mark.parametrize("radius_mm, pitch_mm, vertex, n_pixels", [
    (1102.0, 50.0, True, 1764),  # REFERENCE §1.2 circular-cut approximations
    (445.8, 23.6, True, 1296),
    (1129.0, 50.0, False, 1843),
    (1130.3, 50.0, False, 1867),
])
def test_circle_outline_counts(radius_mm, pitch_mm, vertex, n_pixels):
    outline = CircleOutline(radius_mm / pitch_mm, vertex_centred=vertex)
    assert hexagonal_camera("circle", pitch_mm * 1e-3, outline).n_pixels == n_pixels


@pytest.mark.parametrize("rings, drop, n_modules", [(0, False, 1), (1, False, 7), (2, True, 13), (9, True, 265)])
def test_flower_modules(rings, drop, n_modules):
    x, y, module = FlowerModules(rings, drop).layout()
    assert len(x) == 7 * n_modules
    np.testing.assert_array_equal(np.bincount(module), 7)
    points = np.column_stack([x, y])
    distances, _ = cKDTree(points).query(points, k=2)
    np.testing.assert_allclose(distances[:, 1], 1.0)  # a gap-free tiling of the unit lattice


@pytest.mark.parametrize("n, scale", [(1, 1), (2, 2), (3, 1), (7, 2)])
def test_sector_modules(n, scale):
    x, y, module = SectorModules(n, scale).layout()
    assert len(x) == 3 * n * n * 3 * scale ** 2
    np.testing.assert_array_equal(np.bincount(module), 3 * scale ** 2)
    assert abs(x.mean()) < 1e-9 and abs(y.mean()) < 1e-9
    points = np.column_stack([x, y])
    assert len(np.unique(np.round(points, 6), axis=0)) == len(points)


def test_mirror_flips_y():
    plain = hexagonal_camera("a", 1.0, SectorModules(2))
    mirrored = hexagonal_camera("b", 1.0, SectorModules(2), mirror=True)
    np.testing.assert_allclose(mirrored.pix_y, -plain.pix_y)
    np.testing.assert_allclose(mirrored.pix_x, plain.pix_x)


def test_pixel_width_sets_area():
    geometry = hexagonal_camera("h", 0.05, HexagonOutline(1), pixel_width_m=0.049)
    np.testing.assert_allclose(geometry.pix_area, np.sqrt(3) / 2 * 0.049 ** 2)
    assert geometry.pixel_width == pytest.approx(0.049)
    square = square_camera("s", 0.007, np.ones((1, 1), bool), module_size=2, module_gap_m=0.001,
                           pixel_width_m=0.006)
    np.testing.assert_allclose(square.pix_area, 0.006 ** 2)


def test_square_camera_gap_equals_pitch_form():
    mask = module_mask_from_rows((2, 4, 2))
    by_gap = square_camera("s", 0.006125, mask, module_gap_m=0.00528)
    by_pitch = square_camera("s", 0.006125, mask, module_pitch_m=0.054280)
    np.testing.assert_allclose(by_gap.pix_x, by_pitch.pix_x, atol=1e-12)
    assert by_gap.n_pixels == 8 * 64


def test_generator_errors():
    mask = np.ones((2, 2), bool)
    with pytest.raises(InstrumentError, match="exactly one"):
        square_camera("s", 0.006, mask)
    with pytest.raises(InstrumentError, match="exactly one"):
        square_camera("s", 0.006, mask, module_pitch_m=0.05, module_gap_m=0.001)
    with pytest.raises(InstrumentError, match="overlap"):
        square_camera("s", 0.006, mask, module_pitch_m=0.04)
    with pytest.raises(InstrumentError, match="pitch must be positive"):
        hexagonal_camera("h", 0.0, HexagonOutline(2))
    with pytest.raises(InstrumentError, match="parity"):
        module_mask_from_rows((3, 4))
