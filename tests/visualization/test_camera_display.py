"""Camera display: every built-in geometry, rotations, overlays, speed of re-use."""
import time

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.patches import Ellipse

from iactpipe.instrument.camera import CameraGeometry
from iactpipe.instrument.cameras import CAMERA_BUILDERS, build_camera_geometry
from iactpipe.visualization.camera import CameraDisplay, pixel_polygons, plot_camera


def _saved_size(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=60)
    return path.stat().st_size


def _gaussian_image(geometry, rng, x0=0.1, y0=0.05, sigma=0.05, amplitude=200.0):
    r2 = (geometry.pix_x - x0) ** 2 + (geometry.pix_y - y0) ** 2
    return amplitude * np.exp(-0.5 * r2 / sigma**2) + rng.normal(0, 1, geometry.n_pixels)


@pytest.mark.parametrize("name", sorted(CAMERA_BUILDERS))
def test_every_builtin_camera(name, tmp_path):
    geometry = build_camera_geometry(name)
    rng = np.random.default_rng(0)
    scale = 0.2 * geometry.camera_radius
    image = _gaussian_image(geometry, rng, x0=scale, y0=0.0, sigma=scale)
    mask = image > 20
    fig = plot_camera(geometry, image, mask=mask, title=name)
    ax = fig.axes[0]
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(polys) == 1 and len(polys[0].get_paths()) == geometry.n_pixels
    assert len(ax.lines[0].get_xdata()) > 0  # mask outline
    # the axes cover the camera and not much more
    x0, x1 = ax.get_xlim()
    assert x0 < geometry.pix_x.min() and x1 > geometry.pix_x.max()
    assert x1 - x0 < 1.5 * 2 * geometry.camera_radius
    assert "[m]" in ax.get_xlabel() and "[p.e.]" in fig.axes[1].get_ylabel()
    assert _saved_size(fig, tmp_path, name) > 5000


def test_polygon_shapes_and_area():
    hexcam = build_camera_geometry("LSTCam")
    polys = pixel_polygons(hexcam)
    assert polys.shape == (hexcam.n_pixels, 6, 2)
    x, y = polys[0, :, 0], polys[0, :, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    assert area == pytest.approx(hexcam.pix_area[0], rel=1e-9)
    square = build_camera_geometry("CHEC")
    assert pixel_polygons(square).shape[1] == 4


def test_rotated_camera_and_telescope_frame(tmp_path):
    geometry = build_camera_geometry("CHEC")
    rotated = CameraGeometry(name="CHEC-rot", pix_x=geometry.pix_x, pix_y=geometry.pix_y,
                             pix_area=geometry.pix_area, pix_type=geometry.pix_type, pix_rotation_deg=10.0,
                             cam_rotation_deg=30.0)
    polys = pixel_polygons(rotated)
    # camera rotation turns every vertex about the centre: radii are preserved
    centre_r = np.hypot(polys.mean(axis=1)[:, 0], polys.mean(axis=1)[:, 1])
    np.testing.assert_allclose(np.sort(centre_r), np.sort(np.hypot(geometry.pix_x, geometry.pix_y)), atol=1e-12)
    fig = plot_camera(rotated, rotated.pix_x, focal_length_m=2.28, unit="ns", true_source=(0.5, -0.5))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "fov_lon [deg]" and "[ns]" in fig.axes[1].get_ylabel()
    assert ax.get_legend() is not None
    assert _saved_size(fig, tmp_path, "rot") > 5000


def test_hillas_overlay_matches_parameters(tmp_path):
    geometry = build_camera_geometry("LSTCam")
    display = CameraDisplay(geometry, focal_length_m=28.0, image=np.zeros(geometry.n_pixels))
    params = {"hillas_fov_lon": 0.5, "hillas_fov_lat": -0.3, "hillas_length": 0.2, "hillas_width": 0.05,
              "hillas_psi": 30.0}
    display.overlay_hillas(params)
    ellipses = [p for p in display.ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 1
    ellipse = ellipses[0]
    assert ellipse.center == pytest.approx((0.5, -0.3))
    assert ellipse.width == pytest.approx(0.4) and ellipse.height == pytest.approx(0.1)
    assert ellipse.angle == pytest.approx(30.0)
    # NaN parameters hide the overlay, camera-frame displays refuse degree overlays
    display.overlay_hillas({**params, "hillas_psi": np.nan})
    assert not ellipse.get_visible()
    with pytest.raises(ValueError, match="telescope frame"):
        CameraDisplay(geometry).overlay_source(0.1, 0.1)


def test_mask_outline_only_boundary():
    geometry = build_camera_geometry("LSTCam")
    display = CameraDisplay(geometry)
    one = np.zeros(geometry.n_pixels, bool)
    one[0] = True
    display.highlight_mask(one)
    assert len(display.mask_outline_segments()) == 6  # an isolated hexagon: all 6 edges
    centre = np.argmin(np.hypot(geometry.pix_x, geometry.pix_y))
    ring = np.zeros(geometry.n_pixels, bool)
    start, stop = geometry.neighbors.indptr[centre], geometry.neighbors.indptr[centre + 1]
    ring[geometry.neighbors.indices[start:stop]] = True
    ring[centre] = True
    display.highlight_mask(ring)
    assert len(display.mask_outline_segments()) == 18  # 7-pixel flower: 18 outer edges


def test_reuse_is_fast():
    geometry = build_camera_geometry("LSTCam")
    rng = np.random.default_rng(2)
    display = CameraDisplay(geometry, focal_length_m=28.0)
    images = rng.normal(size=(50, geometry.n_pixels))
    params = {"hillas_fov_lon": 0.1, "hillas_fov_lat": 0.2, "hillas_length": 0.2, "hillas_width": 0.05,
              "hillas_psi": 10.0}
    start = time.perf_counter()
    for image in images:
        display.update(image, mask=image > 1.5, hillas=params)
    elapsed = time.perf_counter() - start
    assert elapsed / len(images) < 0.05  # measured 6-16 ms on a busy core; rendering dominates
    assert len(display.ax.collections) == 1 and len(display.ax.patches) == 1  # artists reused
    np.testing.assert_allclose(display.image, images[-1])


def test_wrong_image_size():
    geometry = build_camera_geometry("CHEC")
    with pytest.raises(ValueError, match="does not fit"):
        plot_camera(geometry, np.zeros(10))
