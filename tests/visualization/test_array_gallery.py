"""Array display and event gallery."""
import numpy as np
import pytest

from iactpipe.coordinates import ground_to_tilted
from iactpipe.instrument import catalog
from iactpipe.instrument.cameras import build_camera_geometry
from iactpipe.visualization import image_axes_on_ground, plot_array, plot_event_gallery


def test_image_axes_meet_at_the_core():
    """Axes built from the psi a telescope would see for a core must pass through that core."""
    subarray = catalog.build_array("CTAO-North-LST")
    pos = subarray.positions_m.copy()
    pos[:, 2] = 0.0
    core = np.array([120.0, -40.0])
    alt, az = 70.0, 180.0
    xt, yt, _ = ground_to_tilted(core[0] - pos[:, 0], core[1] - pos[:, 1], 0.0, alt, az)
    psi = np.degrees(np.arctan2(xt, yt))  # tilted direction (sin psi, cos psi), see the module docstring
    lines = image_axes_on_ground(pos, psi, alt, az, half_length_m=300.0)
    for line, p in zip(lines, pos):
        d = line[1] - line[0]
        to_core = core - p[:2]
        distance = abs(d[0] * to_core[1] - d[1] * to_core[0]) / np.hypot(*d)
        assert distance < 1e-6


def test_plot_array(tmp_path):
    subarray = catalog.build_array("CTAO-North-alpha")
    triggered = subarray.tel_ids[:5]
    fig = plot_array(subarray, triggered=triggered, psi_deg={int(t): 30.0 * i for i, t in enumerate(triggered)},
                     pointing=(70.0, 0.0), true_core=(50.0, -20.0), reco_core=(60.0, -10.0),
                     true_direction=(70.0, 0.0), reco_direction=(70.1, 0.3))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    n_triggered = [int(label.rsplit("(", 1)[1].rstrip(")")) for label in labels if "triggered" in label]
    assert sum(n_triggered) == 5
    assert "true core" in labels and "reconstructed core" in labels and "image axes" in labels
    assert "[m]" in ax.get_xlabel() and "[m]" in ax.get_ylabel()
    path = tmp_path / "array.png"
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 5000


def test_plot_array_without_dl2():
    fig = plot_array(catalog.build_array("CTAO-North-LST"))
    assert len(fig.axes[0].collections) >= 1


def test_gallery(tmp_path):
    geometry = build_camera_geometry("LSTCam")
    rng = np.random.default_rng(3)
    events = []
    for i in range(4):
        image = rng.normal(0, 1, geometry.n_pixels)
        image[:30] += 100
        events.append({"geometry": geometry, "focal_length_m": 28.0, "image": image, "mask": image > 10,
                       "hillas": {"hillas_fov_lon": 0.1, "hillas_fov_lat": 0.0, "hillas_length": 0.2,
                                  "hillas_width": 0.05, "hillas_psi": 45.0 * i},
                       "true_source": (0.0, 0.0), "reco_source": (0.05, 0.02), "title": f"event {i}"})
    fig = plot_event_gallery(events, n_cols=2)
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_title().startswith("event")]
    assert len(visible) == 4
    path = tmp_path / "gallery.png"
    fig.savefig(path, dpi=50)
    assert path.stat().st_size > 10000
    with pytest.raises(ValueError):
        plot_event_gallery([])
